// k8s/ in every export: the serve.py image (see Dockerfile) as a Kubernetes Deployment with
// resource requests and limits, liveness (/health) and readiness (/ready) probes and a non-root,
// read-only container; a Service in front of it; a HorizontalPodAutoscaler on CPU. JSON, which
// `kubectl apply -f k8s/` reads as it reads YAML.
import { stableJson, utf8 } from '../json.ts';
import type { ExportFile } from '../types.ts';

export const K8S_APP = 'text-classifier';
const PORT = 8000;
/** The uid:gid the Dockerfile's USER names (nobody). */
const NON_ROOT_ID = 65534;

export function k8sDeployment(): Record<string, unknown> {
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: 'http' },
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: K8S_APP, labels: { app: K8S_APP } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: K8S_APP } },
      template: {
        metadata: { labels: { app: K8S_APP } },
        spec: {
          securityContext: {
            runAsNonRoot: true,
            runAsUser: NON_ROOT_ID,
            runAsGroup: NON_ROOT_ID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'serve',
              // Build and push the Dockerfile beside k8s/, then name that image here.
              image: `${K8S_APP}:latest`,
              imagePullPolicy: 'IfNotPresent',
              args: ['python', 'serve.py', '--host', '0.0.0.0', '--port', String(PORT)],
              ports: [{ name: 'http', containerPort: PORT }],
              env: [
                { name: 'HF_HUB_OFFLINE', value: '1' },
                { name: 'OMP_NUM_THREADS', value: '1' },
              ],
              resources: {
                requests: { cpu: '500m', memory: '1Gi' },
                limits: { cpu: '2', memory: '2Gi' },
              },
              // The model loads after the server starts: /ready turns 200 once it has run once.
              startupProbe: probe('/health', 5, 24),
              livenessProbe: probe('/health', 10, 3),
              readinessProbe: probe('/ready', 5, 2),
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }],
        },
      },
    },
  };
}

export function k8sService(): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: K8S_APP, labels: { app: K8S_APP } },
    spec: {
      type: 'ClusterIP',
      selector: { app: K8S_APP },
      ports: [{ name: 'http', port: 80, targetPort: 'http' }],
    },
  };
}

export function k8sAutoscaler(): Record<string, unknown> {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: K8S_APP, labels: { app: K8S_APP } },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: K8S_APP },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
      ],
    },
  };
}

export function k8sFiles(): ExportFile[] {
  return [
    { path: 'k8s/deployment.json', bytes: utf8(stableJson(k8sDeployment())) },
    { path: 'k8s/hpa.json', bytes: utf8(stableJson(k8sAutoscaler())) },
    { path: 'k8s/service.json', bytes: utf8(stableJson(k8sService())) },
  ];
}

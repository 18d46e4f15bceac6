// The k8s/ manifests of the export validate against Kubernetes' own API schemas (kubernetes-models)
// and hold what running the model needs: requests and limits, probes on serve.py's endpoints, a
// non-root user, a Service on the container's port and an autoscaler on CPU.
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { buildExportFiles } from './export-model.ts';
import { seqclsInput } from './test-support/fixtures.ts';

async function manifests(): Promise<Record<string, unknown>> {
  const { files } = buildExportFiles(await seqclsInput());
  const k8s = files.filter((f) => f.path.startsWith('k8s/'));
  return Object.fromEntries(
    k8s.map((f) => [f.path, JSON.parse(new TextDecoder().decode(f.bytes)) as unknown]),
  );
}

describe('k8s manifests in the export', () => {
  it('validate against the Kubernetes API schemas', async () => {
    const all = await manifests();
    expect(Object.keys(all).sort()).toEqual(['k8s/deployment.json', 'k8s/hpa.json', 'k8s/service.json']);
    expect(() => new Deployment(all['k8s/deployment.json'] as never).validate()).not.toThrow();
    expect(() => new Service(all['k8s/service.json'] as never).validate()).not.toThrow();
    expect(() => new HorizontalPodAutoscaler(all['k8s/hpa.json'] as never).validate()).not.toThrow();
  });

  it('the validation would catch a broken manifest', async () => {
    const all = await manifests();
    const deployment = structuredClone(all['k8s/deployment.json']) as { spec: { replicas: unknown } };
    deployment.spec.replicas = 'two';
    expect(() => new Deployment(deployment as never).validate()).toThrow();
  });

  it('run serve.py as non-root with requests, limits and probes; the Service and autoscaler point at it', async () => {
    const all = await manifests();
    const deployment = new Deployment(all['k8s/deployment.json'] as never);
    const pod = deployment.spec!.template.spec!;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534 });
    const [container] = pod.containers;
    expect(container!.resources).toEqual({
      requests: { cpu: '500m', memory: '1Gi' },
      limits: { cpu: '2', memory: '2Gi' },
    });
    expect(container!.livenessProbe!.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(container!.readinessProbe!.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(container!.ports).toEqual([{ name: 'http', containerPort: 8000 }]);
    expect(container!.args).toContain('serve.py');
    expect(container!.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });

    const service = new Service(all['k8s/service.json'] as never);
    expect(service.spec!.selector).toEqual(deployment.spec!.selector.matchLabels);
    expect(service.spec!.ports![0]!.targetPort).toBe('http');

    const hpa = new HorizontalPodAutoscaler(all['k8s/hpa.json'] as never);
    expect(hpa.spec!.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata!.name,
    });
    expect(hpa.spec!.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      },
    ]);
  });
});

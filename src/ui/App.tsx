import { selectStepStatus } from '../state/steps.ts';
import { useStudio } from '../state/store.ts';
import { goToStep } from '../state/ui.ts';
import { DataStep } from './data/DataStep.tsx';
import { EvaluateStep } from './evaluate/EvaluateStep.tsx';
import { ExportStep } from './export/ExportStep.tsx';
import { ModelStep } from './model/ModelStep.tsx';
import { DropListener } from './shell/DropListener.tsx';
import { EmptyState } from './shell/EmptyState.tsx';
import { Header } from './shell/Header.tsx';
import { SettingsDialog } from './shell/SettingsDialog.tsx';
import { StepNav } from './shell/StepNav.tsx';
import { StorageNotice } from './shell/StorageNotice.tsx';
import { TabNotice } from './shell/TabNotice.tsx';
import { TrainStep } from './train/TrainStep.tsx';

function GoButton({ step, children }: { step: 'data' | 'model' | 'train'; children: string }) {
  return (
    <button type="button" className="fs-button fs-button-primary" onClick={() => goToStep(step)}>
      {children}
    </button>
  );
}

function StepContent() {
  const step = useStudio((state) => state.ui.step);
  const statuses = useStudio(selectStepStatus);
  const hasData = statuses.data.state === 'done';
  const hasModel = statuses.model.state === 'done';
  switch (step) {
    case 'data':
      return <DataStep />;
    case 'model':
      return <ModelStep />;
    case 'train':
      if (!hasData) {
        return (
          <EmptyState title="Train" action={<GoButton step="data">Go to Data</GoButton>}>
            <p>Training needs a dataset. Import a CSV in the Data step and confirm its columns.</p>
          </EmptyState>
        );
      }
      if (!hasModel) {
        return (
          <EmptyState title="Train" action={<GoButton step="model">Go to Model</GoButton>}>
            <p>
              Training needs a model. Load DistilBERT (or another DistilBERT checkpoint) in the Model step.
            </p>
          </EmptyState>
        );
      }
      return <TrainStep />;
    case 'evaluate':
      if (statuses.evaluate.state === 'blocked') {
        return (
          <EmptyState title="Evaluate" action={<GoButton step="train">Go to Train</GoButton>}>
            <p>Metrics, the confusion matrix and the playground appear once a training run has finished.</p>
          </EmptyState>
        );
      }
      return <EvaluateStep />;
    case 'export':
      if (statuses.export.state === 'blocked') {
        return (
          <EmptyState title="Export" action={<GoButton step="train">Go to Train</GoButton>}>
            <p>Downloads of the trained model appear once a training run has finished.</p>
          </EmptyState>
        );
      }
      return <ExportStep />;
  }
}

export function App() {
  const settingsOpen = useStudio((state) => state.ui.settingsOpen);
  const step = useStudio((state) => state.ui.step);
  return (
    <div className="fs-app">
      <Header />
      <StepNav />
      <main className="fs-main" id="fs-step-panel" role="tabpanel" aria-labelledby={`fs-tab-${step}`}>
        <TabNotice />
        <StorageNotice />
        <StepContent />
      </main>
      <SettingsDialog key={String(settingsOpen)} />
      <DropListener />
    </div>
  );
}

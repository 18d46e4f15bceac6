import { useRef, useState } from 'react';
import { MODEL_CATALOG } from '../../core/model/index.ts';
import {
  checkDistillationChoice,
  checkStudentModelChoice,
  currentSettings,
  defaultDistillation,
  distilRun,
  folderName,
  runLayers,
  type RunRecord,
  type StudentModelChoice,
} from '../../state/runs/index.ts';

function parse(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

/**
 * Distils a finished run (the teacher) into a student: fewer of its layers, or another model (a
 * Hub id or a model folder, any supported family, its own tokenizer allowed); α and T, and the
 * train settings it starts from (the teacher's, in full mode).
 */
export function DistillForm({ teacher, onClose }: { teacher: RunRecord; onClose: () => void }) {
  const teacherLayers = runLayers(teacher) ?? 1;
  const defaults = defaultDistillation(teacherLayers);
  const settings = currentSettings(teacher);
  const [layers, setLayers] = useState(String(defaults.layers));
  const [alpha, setAlpha] = useState(String(defaults.alpha));
  const [temperature, setTemperature] = useState(String(defaults.temperature));
  const [epochs, setEpochs] = useState(String(settings.epochs));
  const [learningRate, setLearningRate] = useState(String(settings.learningRate));
  const [batchSize, setBatchSize] = useState(String(settings.batchSize));
  const [error, setError] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const [kind, setKind] = useState<'layers' | 'hub' | 'files'>('layers');
  const [hubId, setHubId] = useState('');
  const [folder, setFolder] = useState<File[]>([]);
  const folderInput = useRef<HTMLInputElement>(null);

  const choice = { layers: parse(layers), alpha: parse(alpha), temperature: parse(temperature) };
  const model: StudentModelChoice | undefined =
    kind === 'hub'
      ? { kind: 'hub', id: hubId }
      : kind === 'files'
        ? { kind: 'files', files: folder }
        : undefined;
  const train = { epochs: parse(epochs), learningRate: parse(learningRate), batchSize: parse(batchSize) };
  const problems = [
    ...(model
      ? [...checkStudentModelChoice(model), ...checkDistillationChoice({ ...choice, layers: 1 }, 2)]
      : checkDistillationChoice(choice, teacherLayers)),
    ...(Number.isInteger(train.epochs) && train.epochs >= 1 ? [] : ['Epochs must be a whole number ≥ 1.']),
    ...(train.learningRate > 0 && Number.isFinite(train.learningRate)
      ? []
      : ['The learning rate must be a positive number.']),
    ...(Number.isInteger(train.batchSize) && train.batchSize >= 1
      ? []
      : ['The batch size must be a whole number ≥ 1.']),
  ];

  const field = (label: string, value: string, set: (text: string) => void, help: string) => (
    <label style={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
      <span>{label}</span>
      <input
        type="text"
        inputMode="decimal"
        className="fs-hp-input"
        value={value}
        onChange={(e) => set(e.target.value)}
        aria-label={label}
        title={help}
        size={8}
      />
    </label>
  );

  return (
    <form
      className="fs-card"
      aria-label={`Distil ${teacher.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        if (problems.length > 0 || starting) return;
        setStarting(true);
        setError(null);
        distilRun(teacher.id, choice, { ...settings, ...train }, model)
          .then(onClose)
          .catch((cause: unknown) => setError(cause instanceof Error ? cause.message : String(cause)))
          .finally(() => setStarting(false));
      }}
    >
      <h3>Distil {teacher.name} into a smaller model</h3>
      <fieldset style={{ border: 'none', padding: 0, display: 'flex', gap: 16 }}>
        <legend className="fs-visually-hidden">Student</legend>
        {(
          [
            ['layers', 'Fewer of the teacher’s layers'],
            ['hub', 'Another model from the Hub'],
            ['files', 'Another model from a folder'],
          ] as const
        ).map(([value, label]) => (
          <label key={value}>
            <input
              type="radio"
              name="fs-student-kind"
              value={value}
              checked={kind === value}
              onChange={() => setKind(value)}
            />{' '}
            {label}
          </label>
        ))}
      </fieldset>
      {model ? (
        <p className="fs-muted">
          The student is another model of a supported family (DistilBERT, BERT, RoBERTa, XLM-RoBERTa,
          ModernBERT, DeBERTa), with a new head for the teacher’s labels and its own tokenizer: the teacher’s
          outputs come from its own tokenization of each row. It learns from the labels (weight α) and from
          the teacher’s outputs softened by the temperature T (weight 1 − α).
        </p>
      ) : (
        <p className="fs-muted">
          The student keeps the teacher’s embeddings, head and {choice.layers > 0 ? choice.layers : 'some'} of
          its {teacherLayers} layers, and learns from the labels (weight α) and from the teacher’s outputs
          softened by the temperature T (weight 1 − α). All of it trains; the teacher stays as it is.
        </p>
      )}
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 12, alignItems: 'flex-end' }}>
        {kind === 'layers' &&
          field('Student layers', layers, setLayers, `1 to ${teacherLayers - 1}; fewer is faster`)}
        {kind === 'hub' && (
          <label style={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
            <span>Student model</span>
            <input
              type="text"
              className="fs-hp-input"
              value={hubId}
              onChange={(e) => setHubId(e.target.value)}
              aria-label="Student model"
              placeholder="owner/name"
              spellCheck={false}
              autoComplete="off"
              list="fs-student-catalog"
              size={28}
            />
            {/* The Model step's catalog, smallest first: the likely students. */}
            <datalist id="fs-student-catalog">
              {[...MODEL_CATALOG]
                .sort((a, b) => a.parametersMillions - b.parametersMillions)
                .map((entry) => (
                  <option key={entry.id} value={entry.id}>
                    {`${entry.parametersMillions}M parameters, ${entry.languages}`}
                  </option>
                ))}
            </datalist>
          </label>
        )}
        {kind === 'files' && (
          <span style={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
            <span>Student model folder</span>
            <input
              ref={folderInput}
              type="file"
              className="fs-visually-hidden"
              aria-label="Choose the student's model folder"
              multiple
              {...{ webkitdirectory: '', directory: '' }}
              onChange={(event) => {
                setFolder([...(event.currentTarget.files ?? [])]);
                event.currentTarget.value = '';
              }}
            />
            <button type="button" className="fs-button" onClick={() => folderInput.current?.click()}>
              {folder.length > 0 ? folderName(folder) : 'Choose a folder…'}
            </button>
          </span>
        )}
        {field('Alpha', alpha, setAlpha, 'Weight of the labels’ loss, 0 to 1')}
        {field('Temperature', temperature, setTemperature, 'Softens both models’ outputs; above 0')}
        {field('Student epochs', epochs, setEpochs, 'Passes over the training split')}
        {field('Student learning rate', learningRate, setLearningRate, 'Peak learning rate')}
        {field('Student batch size', batchSize, setBatchSize, 'Examples per step')}
        <button
          type="submit"
          className="fs-button fs-button-primary"
          disabled={problems.length > 0 || starting}
        >
          {starting && model ? 'Loading the student…' : 'Start distillation'}
        </button>
        <button type="button" className="fs-button" onClick={onClose}>
          Cancel
        </button>
      </div>
      {problems.length > 0 && (
        <p className="fs-muted" role="note">
          {problems[0]}
        </p>
      )}
      {error && <p role="alert">{error}</p>}
    </form>
  );
}

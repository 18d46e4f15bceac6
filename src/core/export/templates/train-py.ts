// train.py shipped in every export: reproduces the run with the Hugging Face Trainer, for when a
// data set outgrows the browser. Kept as a TypeScript string so Vite and Node load it alike.
export const TRAIN_PY = String.raw`#!/usr/bin/env python3
"""Reproduce or scale up the training run that produced this model, with the Hugging Face Trainer.

    pip install "transformers>=4.46" torch accelerate
    accelerate launch train.py --data data.csv             # one or many GPUs, or a cluster
    python train.py --data data.csv --model .             # fine-tune this model further

Settings come from training_args.json beside this script: Hugging Face TrainingArguments names at
the top level, and the studio's own settings under "finetune_studio": mode (head, top-k or full),
layers (top-k), freeze_embeddings, max_length, class_weights (none, balanced or weights by label),
layer_lr_decay, dropout, early_stopping_patience and early_stopping_threshold, tune_thresholds
(multi-label), text_column and label_column. Override any of them with --set name=value (the value is read as JSON when it
parses as JSON), e.g. --set num_train_epochs=1 --set per_device_train_batch_size=64.

The CSV needs a text column and a label column ("label" for single-label data; "labels" with the
labels joined by "|" for multi-label data, an empty cell meaning no label applies). Labels are
mapped to ids through this folder's config.json, so a model trained here predicts the same ids.
"""
import argparse
import csv
import inspect
import json
import random
import re
import sys
from pathlib import Path

import numpy as np
import torch
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    EarlyStoppingCallback,
    Trainer,
    TrainingArguments,
    set_seed,
)

HERE = Path(__file__).resolve().parent


def fail(message):
    print("train.py: " + message, file=sys.stderr)
    sys.exit(2)


def parse_value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def load_settings(path, overrides):
    with open(path, encoding="utf-8") as f:
        settings = json.load(f)
    studio = settings.pop("finetune_studio", {})
    for item in overrides:
        if "=" not in item:
            fail("--set expects name=value, got " + repr(item))
        name, value = item.split("=", 1)
        if name.startswith("finetune_studio."):
            studio[name.split(".", 1)[1]] = parse_value(value)
        else:
            settings[name] = parse_value(value)
    return settings, studio


def read_rows(path, text_column, label_column):
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        columns = reader.fieldnames or []
        for column in (text_column, label_column):
            if column not in columns:
                fail("%s has no column %r (columns: %s)" % (path, column, ", ".join(columns)))
        return [(row[text_column] or "", row[label_column] or "") for row in reader]


def encode_labels(rows, label2id, multi_label, separator, source):
    unknown = set()
    encoded = []
    for _, cell in rows:
        if multi_label:
            names = [name.strip() for name in cell.split(separator) if name.strip()]
            vector = [0.0] * len(label2id)
            for name in names:
                if name in label2id:
                    vector[label2id[name]] = 1.0
                else:
                    unknown.add(name)
            encoded.append(vector)
        else:
            name = cell.strip()
            if name not in label2id:
                unknown.add(name)
            encoded.append(label2id.get(name, -1))
    if unknown:
        fail("%s has labels this model does not know: %s (known: %s)"
             % (source, ", ".join(sorted(repr(u) for u in unknown)[:20]), ", ".join(label2id)))
    return encoded


class EncodedDataset(torch.utils.data.Dataset):
    def __init__(self, encodings, labels):
        self.encodings = encodings
        self.labels = labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        item = {key: values[index] for key, values in self.encodings.items()}
        item["labels"] = self.labels[index]
        return item


def make_metrics(multi_label, thresholds):
    def compute(prediction):
        logits, labels = prediction.predictions, prediction.label_ids
        if multi_label:
            probabilities = 1.0 / (1.0 + np.exp(-logits))
            predicted = (probabilities >= np.asarray(thresholds)).astype(int)
            truth = labels.astype(int)
            tp = (predicted & truth).sum()
            precision = tp / max(predicted.sum(), 1)
            recall = tp / max(truth.sum(), 1)
            f1 = 2 * precision * recall / max(precision + recall, 1e-12)
            return {"micro_f1": float(f1), "subset_accuracy": float((predicted == truth).all(axis=1).mean())}
        predicted = logits.argmax(axis=-1)
        f1s = []
        for c in range(logits.shape[-1]):
            tp = ((predicted == c) & (labels == c)).sum()
            fp = ((predicted == c) & (labels != c)).sum()
            fn = ((predicted != c) & (labels == c)).sum()
            f1s.append(2 * tp / max(2 * tp + fp + fn, 1))
        return {"accuracy": float((predicted == labels).mean()), "macro_f1": float(np.mean(f1s))}

    return compute


def freeze(model, studio):
    encoder = model.distilbert
    mode = studio.get("mode", "full")
    if mode == "head":
        for parameter in encoder.parameters():
            parameter.requires_grad = False
    elif mode == "top-k":
        layers = encoder.transformer.layer
        keep = max(0, min(int(studio.get("layers", 1)), len(layers)))
        for parameter in encoder.embeddings.parameters():
            parameter.requires_grad = False
        for layer in layers[: len(layers) - keep]:
            for parameter in layer.parameters():
                parameter.requires_grad = False
    elif mode == "full":
        if studio.get("freeze_embeddings"):
            for parameter in encoder.embeddings.parameters():
                parameter.requires_grad = False
    else:
        fail("finetune_studio.mode must be head, top-k or full, got %r" % mode)


def layerwise_optimizer(model, args, decay):
    """AdamW where the head learns at the base rate, the top block at rate*decay, the one below at
    rate*decay^2, ..., the embeddings at rate*decay^(n_layers+1); no decay on biases and LayerNorm."""
    n_layers = model.config.n_layers

    def depth(name):
        if ".embeddings." in name:
            return 0
        match = re.search(r"\.transformer\.layer\.(\d+)\.", name)
        return int(match.group(1)) + 1 if match else n_layers + 1

    groups = {}
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        no_decay = name.endswith(".bias") or "LayerNorm" in name or "layer_norm" in name
        groups.setdefault((decay ** (n_layers + 1 - depth(name)), no_decay), []).append(parameter)
    return torch.optim.AdamW(
        [
            {"params": params, "lr": args.learning_rate * scale, "weight_decay": 0.0 if no_decay else args.weight_decay}
            for (scale, no_decay), params in sorted(groups.items(), key=lambda item: item[0])
        ],
        lr=args.learning_rate,
        betas=(args.adam_beta1, args.adam_beta2),
        eps=args.adam_epsilon,
    )


def loss_weights(spec, labels, label2id, multi_label):
    """Class weights (single-label) or positive weights (multi-label), as the studio computes them."""
    if spec in (None, "none"):
        return None
    k = len(label2id)
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - set(label2id))
        if unknown:
            fail("class_weights names labels this model does not know: " + ", ".join(unknown))
        weights = [1.0] * k
        for name, weight in spec.items():
            weights[label2id[name]] = float(weight)
        return torch.tensor(weights)
    if spec != "balanced":
        fail("class_weights must be none, balanced or weights by label, got %r" % spec)
    if multi_label:
        n = len(labels)
        positives = [sum(row[j] for row in labels) for j in range(k)]
        return torch.tensor([(n - p) / p if 0 < p < n else 1.0 for p in positives])
    counts = [0] * k
    for label in labels:
        counts[label] += 1
    present = sum(1 for c in counts if c > 0)
    return torch.tensor([len(labels) / (present * c) if c > 0 else 1.0 for c in counts])


class WeightedLossTrainer(Trainer):
    def __init__(self, *args, weights=None, multi_label=False, smoothing=0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.weights, self.multi_label, self.smoothing = weights, multi_label, smoothing

    def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        weights = self.weights.to(outputs.logits.device)
        if self.multi_label:
            loss = torch.nn.functional.binary_cross_entropy_with_logits(outputs.logits, labels.float(), pos_weight=weights)
        else:
            loss = torch.nn.functional.cross_entropy(outputs.logits, labels, weight=weights, label_smoothing=self.smoothing)
        return (loss, outputs) if return_outputs else loss


def tune_thresholds(probabilities, truth, grid=None):
    """Per label, the threshold on a 0.05 grid with the best F1 on the evaluation split (ties: nearest
    0.5; a label without positives keeps 0.5)."""
    grid = grid or [round(0.05 * i, 2) for i in range(1, 20)]
    thresholds = []
    for j in range(truth.shape[1]):
        positives = truth[:, j] == 1
        if not positives.any():
            thresholds.append(0.5)
            continue
        best, best_f1 = 0.5, -1.0
        for t in grid:
            predicted = probabilities[:, j] >= t
            tp = float((predicted & positives).sum())
            f1 = 2 * tp / max(float(predicted.sum()) + float(positives.sum()), 1.0)
            if f1 > best_f1 + 1e-12 or (abs(f1 - best_f1) <= 1e-12 and abs(t - 0.5) < abs(best - 0.5)):
                best, best_f1 = t, f1
        thresholds.append(best)
    return thresholds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="CSV to train on")
    parser.add_argument("--validation", help="CSV to evaluate on (default: hold out part of --data)")
    parser.add_argument("--model", help="Hub id or folder to start from (default: the run's base model; '.' = this model)")
    parser.add_argument("--output-dir", help="where checkpoints and the final model go (default: outputs)")
    parser.add_argument("--args", default=str(HERE / "training_args.json"), help="settings file")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override a setting")
    options = parser.parse_args()

    settings, studio = load_settings(options.args, options.set)
    with open(HERE / "config.json", encoding="utf-8") as f:
        config = json.load(f)
    id2label = {int(i): name for i, name in config["id2label"].items()}
    label2id = {name: i for i, name in id2label.items()}
    problem_type = config.get("problem_type", "single_label_classification")
    multi_label = problem_type == "multi_label_classification"
    text_column = studio.get("text_column", "text")
    label_column = studio.get("label_column", "labels" if multi_label else "label")
    separator = studio.get("label_separator", "|")
    max_length = int(studio.get("max_length", 128))
    seed = int(settings.get("seed", 42))
    set_seed(seed)

    rows = read_rows(options.data, text_column, label_column)
    if not rows:
        fail(options.data + " has no rows")
    if options.validation:
        train_rows, eval_rows = rows, read_rows(options.validation, text_column, label_column)
    else:
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        held_out = int(round(len(shuffled) * float(studio.get("validation_fraction", 0.1))))
        held_out = min(max(held_out, 1), len(shuffled) - 1) if len(shuffled) > 1 else 0
        eval_rows, train_rows = shuffled[:held_out], shuffled[held_out:]

    model_source = options.model or studio.get("base_model") or str(HERE)
    if model_source == ".":
        model_source = str(HERE)
    tokenizer = AutoTokenizer.from_pretrained(str(HERE))
    no_dropout = {} if studio.get("dropout", True) else {"dropout": 0.0, "attention_dropout": 0.0, "seq_classif_dropout": 0.0}
    model = AutoModelForSequenceClassification.from_pretrained(
        model_source,
        num_labels=len(id2label),
        id2label=id2label,
        label2id=label2id,
        problem_type=problem_type,
        ignore_mismatched_sizes=True,
        **no_dropout,
    )
    freeze(model, studio)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    print("train.py: training %d of %d parameters (mode %s)" % (trainable, total, studio.get("mode", "full")))

    def dataset(part, source):
        labels = encode_labels(part, label2id, multi_label, separator, source)
        encodings = tokenizer([text for text, _ in part], truncation=True, max_length=max_length)
        return EncodedDataset(encodings, labels)

    train_set = dataset(train_rows, options.data)
    eval_set = dataset(eval_rows, options.validation or options.data) if eval_rows else None

    accepted = inspect.signature(TrainingArguments.__init__).parameters
    if "eval_strategy" in settings and "eval_strategy" not in accepted:
        settings["evaluation_strategy"] = settings.pop("eval_strategy")
    if eval_set is None:
        settings["eval_strategy" if "eval_strategy" in accepted else "evaluation_strategy"] = "no"
        settings["load_best_model_at_end"] = False
    settings["output_dir"] = options.output_dir or settings.get("output_dir") or "outputs"
    settings.setdefault("report_to", "none")
    ignored = sorted(name for name in settings if name not in accepted)
    if ignored:
        print("train.py: this transformers version has no TrainingArguments for: " + ", ".join(ignored), file=sys.stderr)
    training_args = TrainingArguments(**{k: v for k, v in settings.items() if k in accepted})

    callbacks = []
    patience = studio.get("early_stopping_patience")
    if patience and training_args.load_best_model_at_end:
        callbacks.append(
            EarlyStoppingCallback(
                early_stopping_patience=int(patience),
                early_stopping_threshold=float(studio.get("early_stopping_threshold", 0.0)),
            )
        )
    thresholds = [0.5] * len(id2label)
    if (HERE / "thresholds.json").exists():
        with open(HERE / "thresholds.json", encoding="utf-8") as f:
            by_label = json.load(f).get("thresholds", {})
        thresholds = [float(by_label.get(id2label[i], 0.5)) for i in range(len(id2label))]

    trainer_options = dict(
        model=model,
        args=training_args,
        train_dataset=train_set,
        eval_dataset=eval_set,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=make_metrics(multi_label, thresholds),
        callbacks=callbacks,
    )
    trainer_parameters = inspect.signature(Trainer.__init__).parameters
    trainer_options["processing_class" if "processing_class" in trainer_parameters else "tokenizer"] = tokenizer
    decay = float(studio.get("layer_lr_decay", 1.0))
    if decay != 1.0:
        trainer_options["optimizers"] = (layerwise_optimizer(model, training_args, decay), None)
    weights = loss_weights(studio.get("class_weights"), train_set.labels, label2id, multi_label)
    if weights is not None:
        trainer = WeightedLossTrainer(
            weights=weights, multi_label=multi_label, smoothing=training_args.label_smoothing_factor, **trainer_options
        )
    else:
        trainer = Trainer(**trainer_options)
    trainer.train()
    if eval_set is not None:
        print(json.dumps(trainer.evaluate(), indent=2))
    trainer.save_model(training_args.output_dir)
    tokenizer.save_pretrained(training_args.output_dir)
    if multi_label:
        if eval_set is not None and studio.get("tune_thresholds", True):
            prediction = trainer.predict(eval_set)
            probabilities = 1.0 / (1.0 + np.exp(-prediction.predictions))
            thresholds = tune_thresholds(probabilities, prediction.label_ids.astype(int))
        by_label = {id2label[i]: thresholds[i] for i in range(len(id2label))}
        with open(Path(training_args.output_dir) / "thresholds.json", "w", encoding="utf-8") as f:
            json.dump({"thresholds": by_label}, f, indent=2, sort_keys=True)
    print("train.py: model saved to " + training_args.output_dir)


if __name__ == "__main__":
    main()
`;

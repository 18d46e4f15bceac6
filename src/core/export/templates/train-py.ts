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
(multi-label), and how the studio read the file: csv (encoding, delimiter, header, quoting),
text_columns (joined by text_joiner, empty parts left out), label_column, label_separator
(multi-label), case_fold, drop_duplicates, split_column, split_seed and split_fractions. Override
any of them with --set name=value (the value is read as JSON when it parses as JSON), e.g.
--set num_train_epochs=1 --set finetune_studio.case_fold=true.

Rows are kept and dropped as in the studio: malformed rows (wrong number of fields) and rows whose
text is empty are left out, and so are single-label rows without a label (the studio keeps them as
unlabelled, not trained on); a multi-label row with an empty label cell means no label applies. Labels are mapped to ids through this folder's config.json, so a model
trained here predicts the same ids.

The split: split.json (1-based data row -> split, no texts) is used when --data is the file the
studio split (same number of data rows, same kept rows, same CRC-32 over their row numbers and
texts); otherwise the split column when there is one, else a split stratified by label with the
run's fractions and seed (identical texts kept in one split). Its row assignment is train.py's own,
so a different file gets the same proportions, not the studio's exact rows.

Several processes: per-device batch x gradient accumulation x processes must equal the run's batch
(per_device_train_batch_size x gradient_accumulation_steps in training_args.json). Unless you set
them, train.py picks the per-device batch and accumulation that keep it; it stops with the sizes that
work otherwise. Mixed precision (bf16, else fp16) is used on a CUDA GPU only.

    python train.py --data data.csv --check-data            # the rows, labels and split, then stop
"""
import argparse
import csv
import inspect
import json
import math
import os
import random
import re
import sys
import zlib
from pathlib import Path

import numpy as np
import torch
from transformers import (
    AutoConfig,
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
    # The run's batch, before any override: what several processes must add up to.
    studio.setdefault(
        "effective_batch_size",
        int(settings.get("per_device_train_batch_size", 8)) * int(settings.get("gradient_accumulation_steps", 1)),
    )
    overridden = set()
    for item in overrides:
        if "=" not in item:
            fail("--set expects name=value, got " + repr(item))
        name, value = item.split("=", 1)
        overridden.add(name)
        if name.startswith("finetune_studio."):
            studio[name.split(".", 1)[1]] = parse_value(value)
        else:
            settings[name] = parse_value(value)
    return settings, studio, overridden


def fit_batch(settings, overridden, target, world_size):
    """Per-device batch and accumulation with per-device x accumulation x processes == target."""
    per_device = int(settings.get("per_device_train_batch_size", 8))
    accumulation = int(settings.get("gradient_accumulation_steps", 1))
    if per_device * accumulation * world_size == target:
        return per_device, accumulation
    fits = [(b, target // (world_size * b)) for b in range(1, target + 1)
            if target % world_size == 0 and (target // world_size) % b == 0]
    if not fits or overridden & {"per_device_train_batch_size", "gradient_accumulation_steps"}:
        works = ", ".join("%d x %d" % fit for fit in fits) or (
            "none: the processes must divide %d (e.g. %s)"
            % (target, ", ".join(str(n) for n in range(1, target + 1) if target % n == 0))
        )
        fail(
            "per-device batch %d x accumulation %d x %d processes = %d, not the run's batch %d; "
            "per-device batch x accumulation that work on %d processes: %s"
            % (per_device, accumulation, world_size, per_device * accumulation * world_size, target, world_size, works)
        )
    # The largest per-device batch no larger than the run's: the memory the run needed per step.
    return max((fit for fit in fits if fit[0] <= per_device), key=lambda fit: fit[0])


ENCODINGS = {"utf-8": "utf-8-sig", "utf-16le": "utf-16-le", "utf-16be": "utf-16-be", "windows-1252": "cp1252"}
SPLIT_NAMES = ("train", "validation", "test")
SPLIT_VALUES = {
    "train": 0, "training": 0, "trn": 0,
    "validation": 1, "valid": 1, "val": 1, "dev": 1, "development": 1, "eval": 1,
    "test": 2, "testing": 2, "tst": 2, "holdout": 2,
}


def column_names(header, width):
    """Header names trimmed, empty ones named "column N", repeats numbered, as the studio names them."""
    names, used = [], {}
    for i in range(max(width, len(header or []))):
        name = (header[i] if header and i < len(header) else "").strip() or "column %d" % (i + 1)
        used[name] = used.get(name, 0) + 1
        names.append(name if used[name] == 1 else "%s (%d)" % (name, used[name]))
    return names


def read_table(path, reading):
    """(columns, file_rows, [(1-based data row, fields)]) with malformed rows left out."""
    encoding = str(reading.get("encoding", "utf-8")).lower()
    delimiter = reading.get("delimiter", ",")
    quoting = csv.QUOTE_MINIMAL if reading.get("quoting", True) else csv.QUOTE_NONE
    try:
        with open(path, encoding=ENCODINGS.get(encoding, encoding), newline="") as f:
            text = f.read()
    except (LookupError, UnicodeDecodeError) as error:
        fail("cannot read %s as %s (training_args.json finetune_studio.csv.encoding): %s" % (path, encoding, error))
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter, quoting=quoting)
    columns, rows, file_rows = None, [], 0
    has_header = reading.get("header", True)
    for fields in reader:
        if not fields or fields == [""]:
            continue
        if columns is None:
            columns = column_names(fields if has_header else None, len(fields))
            if has_header:
                continue
        file_rows += 1
        width = len(columns)
        if len(fields) > width and all(field == "" for field in fields[width:]):
            fields = fields[:width]
        if len(fields) == width:
            rows.append((file_rows, fields))
    return columns or [], file_rows, rows


def normalize_label(value, case_fold):
    value = value.strip()
    return value.lower() if case_fold else value


def label_names(cell, separator, case_fold):
    names = []
    for part in cell.split(separator):
        name = normalize_label(part, case_fold)
        if name and name not in names:
            names.append(name)
    return names


def read_examples(path, studio, multi_label):
    """The studio's rows: dicts with row, text, labels (a name, or a list of names) and the given split."""
    columns, file_rows, rows = read_table(path, studio.get("csv", {}))
    text_columns = studio.get("text_columns") or [studio.get("text_column", "text")]
    label_column = studio.get("label_column", "labels" if multi_label else "label")
    split_column = studio.get("split_column")
    wanted = list(text_columns) + [label_column] + ([split_column] if split_column else [])
    missing = [name for name in wanted if name not in columns]
    if missing:
        fail("%s has no column %s (columns: %s)" % (path, ", ".join(repr(m) for m in missing), ", ".join(columns)))
    text_at = [columns.index(name) for name in text_columns]
    label_at = columns.index(label_column)
    split_at = columns.index(split_column) if split_column else None
    joiner = studio.get("text_joiner", "\n")
    separator = studio.get("label_separator", "|")
    case_fold = bool(studio.get("case_fold", False))
    examples = []
    for row, fields in rows:
        if len(text_at) == 1:
            text = fields[text_at[0]]
        else:
            text = joiner.join(fields[i] for i in text_at if fields[i].strip())
        if not text.strip():
            continue
        if multi_label:
            labels = label_names(fields[label_at], separator, case_fold)
        else:
            labels = normalize_label(fields[label_at], case_fold)
            if not labels:
                continue
        given = SPLIT_VALUES.get(fields[split_at].strip().lower(), -1) if split_at is not None else None
        examples.append({"row": row, "text": text, "labels": labels, "given": given})
    if studio.get("drop_duplicates"):
        seen, kept = set(), []
        for example in examples:
            labels = example["labels"]
            key = (example["text"], tuple(sorted(labels)) if multi_label else labels)
            if key not in seen:
                seen.add(key)
                kept.append(example)
        examples = kept
    return examples, file_rows


def rows_crc32(examples):
    crc = 0
    for example in examples:
        crc = zlib.crc32(("%d\t%s\0" % (example["row"], example["text"])).encode("utf-8"), crc)
    return "%08x" % crc


def split_from_file(examples, file_rows, split_path):
    """Split per example from split.json, or (None, why not) when the file is not the one the studio split."""
    with open(split_path, encoding="utf-8") as f:
        recorded = json.load(f)
    if recorded.get("file_rows") != file_rows:
        return None, "split.json is for a file of %s data rows, this one has %d" % (recorded.get("file_rows"), file_rows)
    if recorded.get("kept_rows") != len(examples) or recorded.get("rows_crc32") != rows_crc32(examples):
        return None, "split.json does not match this file's rows (a different file with as many rows)"
    by_row = {}
    for index, name in enumerate(SPLIT_NAMES):
        for row in recorded.get(name, []):
            by_row[row] = index
    if any(example["row"] not in by_row for example in examples):
        return None, "split.json does not name every kept row"
    return [by_row[example["row"]] for example in examples], None


def apportion(n, shares):
    """Whole counts summing to n, each within 1 of n x share (largest remainders)."""
    exact = [n * share for share in shares]
    counts = [int(math.floor(x)) for x in exact]
    order = sorted(range(len(shares)), key=lambda s: (-(exact[s] - counts[s]), s))
    for s in order[: n - sum(counts)]:
        counts[s] += 1
    return counts


def stratified_split(examples, indices, shares, seed, multi_label):
    """Assigns the indices to splits by the shares, stratified by label, identical texts together."""
    groups = {}
    for i in indices:
        groups.setdefault(examples[i]["text"], []).append(i)
    frequency = {}
    for i in indices:
        labels = examples[i]["labels"] if multi_label else [examples[i]["labels"]]
        for label in labels:
            frequency[label] = frequency.get(label, 0) + 1

    def stratum(members):
        labels = examples[members[0]]["labels"] if multi_label else [examples[members[0]]["labels"]]
        return min(labels, key=lambda label: (frequency[label], label)) if labels else ""

    strata = {}
    for members in groups.values():
        strata.setdefault(stratum(members), []).append(members)
    rng = random.Random(seed)
    assignment = {}
    for key in sorted(strata):
        members = strata[key]
        rng.shuffle(members)
        counts = apportion(len(members), shares)
        position = 0
        for split, count in enumerate(counts):
            for group in members[position: position + count]:
                for i in group:
                    assignment[i] = split
            position += count
    return assignment


def choose_split(examples, file_rows, studio, seed, multi_label):
    """(split per example, where it came from)."""
    split_path = HERE / "split.json"
    if split_path.exists():
        splits, why_not = split_from_file(examples, file_rows, split_path)
        if splits is not None:
            return splits, "split.json"
        print("train.py: " + why_not + ": splitting this file instead", file=sys.stderr)
    fractions = [float(f) for f in studio.get("split_fractions", [0.8, 0.1, 0.1])]
    total = sum(fractions)
    fractions = [f / total for f in fractions]
    seed = studio.get("split_seed", seed)
    seed = seed if isinstance(seed, int) else zlib.crc32(str(seed).encode("utf-8"))
    splits = [-1] * len(examples)
    pool = list(range(len(examples)))
    shares = fractions
    source = "stratified"
    if examples and examples[0]["given"] is not None:
        source = "split column"
        present = {e["given"] for e in examples if e["given"] >= 0}
        missing = [s for s in range(3) if s not in present]
        fixed = {i: e["given"] for i, e in enumerate(examples) if e["given"] >= 0 and not (missing and e["given"] == 0)}
        for i, split in fixed.items():
            splits[i] = split
        pool = [i for i in range(len(examples)) if i not in fixed]
        if missing:
            shares = [fractions[0]] + [fractions[s] if s in missing else 0.0 for s in (1, 2)]
            shares = [share / sum(shares) for share in shares]
    for i, split in stratified_split(examples, pool, shares, seed, multi_label).items():
        splits[i] = split
    return splits, source


def encode_labels(examples, label2id, multi_label, source):
    unknown = set()
    encoded = []
    for example in examples:
        if multi_label:
            vector = [0.0] * len(label2id)
            for name in example["labels"]:
                if name in label2id:
                    vector[label2id[name]] = 1.0
                else:
                    unknown.add(name)
            encoded.append(vector)
        else:
            name = example["labels"]
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


def encoder_layers(encoder):
    """The transformer blocks of any family's backbone: DistilBERT's transformer.layer, BERT's and
    RoBERTa's encoder.layer, ModernBERT's layers."""
    for path in ("transformer.layer", "encoder.layer", "layers"):
        module = encoder
        for attribute in path.split("."):
            module = getattr(module, attribute, None)
        if module is not None:
            return module
    fail("cannot find the transformer blocks of %s" % type(encoder).__name__)


def freeze(model, studio):
    # The backbone (base_model: distilbert, bert, roberta or model); a BERT pooler is part of the
    # head, as in the studio.
    encoder = model.base_model
    pooler = getattr(encoder, "pooler", None)
    head_owned = set(id(p) for p in pooler.parameters()) if pooler is not None else set()
    mode = studio.get("mode", "full")
    if mode == "head":
        for parameter in encoder.parameters():
            if id(parameter) not in head_owned:
                parameter.requires_grad = False
    elif mode == "top-k":
        # The top blocks train (ModernBERT's final norm with the last); everything else the
        # blocks share stays fixed, as DeBERTa's relative embeddings do in the studio.
        layers = encoder_layers(encoder)
        keep = max(0, min(int(studio.get("layers", 1)), len(layers)))
        for parameter in encoder.parameters():
            if id(parameter) not in head_owned:
                parameter.requires_grad = False
        trained = [layer for layer in layers[len(layers) - keep :]]
        final_norm = getattr(encoder, "final_norm", None)
        if keep > 0 and final_norm is not None:
            trained.append(final_norm)
        for module in trained:
            for parameter in module.parameters():
                parameter.requires_grad = True
    elif mode == "full":
        if studio.get("freeze_embeddings"):
            # Every embedding table, DeBERTa's relative embeddings included, as in the studio.
            for name, parameter in encoder.named_parameters():
                if "embeddings." in name:
                    parameter.requires_grad = False
    else:
        fail("finetune_studio.mode must be head, top-k or full, got %r" % mode)


def layerwise_optimizer(model, args, decay):
    """AdamW where the head learns at the base rate, the top block at rate*decay, the one below at
    rate*decay^2, ..., the embeddings at rate*decay^(n_layers+1); no decay on biases and norms."""
    n_layers = len(encoder_layers(model.base_model))

    def depth(name):
        # DeBERTa's relative embeddings and their norm (encoder.LayerNorm) sit with the embeddings.
        if "embeddings." in name or re.search(r"(?:^|\.)encoder\.LayerNorm\.", name):
            return 0
        match = re.search(r"\.(?:transformer\.layer|encoder\.layer|layers)\.(\d+)\.", name)
        return int(match.group(1)) + 1 if match else n_layers + 1

    groups = {}
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        no_decay = name.endswith(".bias") or re.search(r"layernorm|layer_norm|(?:^|[._])norm\.", name, re.I) is not None
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
    parser.add_argument("--check-data", action="store_true", help="print the rows, labels, split and batch as JSON, then stop")
    options = parser.parse_args()

    settings, studio, overridden = load_settings(options.args, options.set)
    with open(HERE / "config.json", encoding="utf-8") as f:
        config = json.load(f)
    id2label = {int(i): name for i, name in config["id2label"].items()}
    label2id = {name: i for i, name in id2label.items()}
    problem_type = config.get("problem_type", "single_label_classification")
    multi_label = problem_type == "multi_label_classification"
    max_length = int(studio.get("max_length", 128))
    seed = int(settings.get("seed", 42))
    set_seed(seed)

    examples, file_rows = read_examples(options.data, studio, multi_label)
    if not examples:
        fail(options.data + " has no usable rows")
    if options.validation:
        train_examples = examples
        eval_examples, _ = read_examples(options.validation, studio, multi_label)
        test_examples = []
        split_source = "--validation"
    else:
        splits, split_source = choose_split(examples, file_rows, studio, seed, multi_label)
        train_examples, eval_examples, test_examples = (
            [e for e, s in zip(examples, splits) if s == k] for k in range(3)
        )
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    target = int(studio["effective_batch_size"])
    per_device, accumulation = fit_batch(settings, overridden, target, world_size)
    settings["per_device_train_batch_size"], settings["gradient_accumulation_steps"] = per_device, accumulation
    # The studio's count: ceil(train rows / batch) updates per epoch, whatever the processes.
    steps_per_epoch = max(1, math.ceil(len(train_examples) / target))
    if "max_steps" not in overridden and int(settings.get("max_steps", -1)) <= 0:
        settings["max_steps"] = max(1, math.ceil(steps_per_epoch * float(settings.get("num_train_epochs", 3))))
    plan = {
        "split_source": split_source,
        "file_rows": file_rows,
        "splits": {name: len(part) for name, part in zip(SPLIT_NAMES, (train_examples, eval_examples, test_examples))},
        "split_rows": {name: [e["row"] for e in part] for name, part in zip(SPLIT_NAMES, (train_examples, eval_examples, test_examples))},
        "labels": [id2label[i] for i in range(len(id2label))],
        "label_counts": {},
        "world_size": world_size,
        "per_device_train_batch_size": per_device,
        "gradient_accumulation_steps": accumulation,
        "effective_batch_size": per_device * accumulation * world_size,
        "steps_per_epoch": steps_per_epoch,
        "max_steps": int(settings["max_steps"]),
    }
    for example in examples:
        for name in (example["labels"] if multi_label else [example["labels"]]):
            plan["label_counts"][name] = plan["label_counts"].get(name, 0) + 1
    if options.check_data:
        print(json.dumps(plan, indent=2, sort_keys=True))
        return
    print("train.py: %d train, %d validation, %d test rows (%s); batch %d = %d per device x %d accumulation x %d processes"
          % (len(train_examples), len(eval_examples), len(test_examples), split_source,
             plan["effective_batch_size"], per_device, accumulation, world_size))

    model_source = options.model or studio.get("base_model") or str(HERE)
    if model_source == ".":
        model_source = str(HERE)
    # This folder's tokenizer is the run's; another base model brings its own.
    same_base = model_source in (str(HERE), studio.get("base_model"))
    # A Hub id may name a revision as the studio takes it: owner/name@revision.
    revision = None
    if "@" in model_source and not os.path.isdir(model_source):
        model_source, _, revision = model_source.partition("@")
    tokenizer = AutoTokenizer.from_pretrained(str(HERE) if same_base else model_source, revision=None if same_base else revision)
    model_config = AutoConfig.from_pretrained(model_source, revision=revision)
    model_config.id2label = id2label
    model_config.label2id = label2id
    model_config.problem_type = problem_type
    if not studio.get("dropout", True):
        # Each family names its dropouts differently; the ones this config has go to zero.
        for field in ("dropout", "attention_dropout", "seq_classif_dropout", "hidden_dropout_prob",
                      "attention_probs_dropout_prob", "classifier_dropout", "mlp_dropout", "embedding_dropout"):
            if getattr(model_config, field, None) is not None:
                setattr(model_config, field, 0.0)
    model = AutoModelForSequenceClassification.from_pretrained(
        model_source,
        config=model_config,
        revision=revision,
        ignore_mismatched_sizes=True,
    )
    freeze(model, studio)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    print("train.py: training %d of %d parameters (mode %s)" % (trainable, total, studio.get("mode", "full")))

    def dataset(part, source):
        labels = encode_labels(part, label2id, multi_label, source)
        encodings = tokenizer([e["text"] for e in part], truncation=True, max_length=max_length)
        return EncodedDataset(encodings, labels)

    train_set = dataset(train_examples, options.data)
    eval_set = dataset(eval_examples, options.validation or options.data) if eval_examples else None
    test_set = dataset(test_examples, options.data) if test_examples else None

    accepted = inspect.signature(TrainingArguments.__init__).parameters
    if "eval_strategy" in settings and "eval_strategy" not in accepted:
        settings["evaluation_strategy"] = settings.pop("eval_strategy")
    if eval_set is None:
        settings["eval_strategy" if "eval_strategy" in accepted else "evaluation_strategy"] = "no"
        settings["load_best_model_at_end"] = False
    settings["output_dir"] = options.output_dir or settings.get("output_dir") or "outputs"
    settings.setdefault("report_to", "none")
    # Mixed precision only where a GPU runs it; the settings file may ask for it on any machine.
    if not torch.cuda.is_available():
        settings["fp16"] = settings["bf16"] = False
    elif "fp16" not in overridden and "bf16" not in overridden:
        bf16 = torch.cuda.is_bf16_supported()
        settings["bf16"], settings["fp16"] = bf16, not bf16
    if world_size > 1 and not torch.cuda.is_available():
        settings.setdefault("ddp_backend", "gloo")
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
    results = {}
    if eval_set is not None:
        results["validation"] = trainer.evaluate()
    if test_set is not None:
        results["test"] = trainer.evaluate(test_set, metric_key_prefix="test")
    # Evaluation and prediction run on every process (they gather across them); files come from one.
    main_process = trainer.is_world_process_zero()
    if results and main_process:
        print(json.dumps(results, indent=2))
    trainer.save_model(training_args.output_dir)
    if multi_label and eval_set is not None and studio.get("tune_thresholds", True):
        prediction = trainer.predict(eval_set)
        probabilities = 1.0 / (1.0 + np.exp(-prediction.predictions))
        thresholds = tune_thresholds(probabilities, prediction.label_ids.astype(int))
    if not main_process:
        return
    tokenizer.save_pretrained(training_args.output_dir)
    if multi_label:
        by_label = {id2label[i]: thresholds[i] for i in range(len(id2label))}
        with open(Path(training_args.output_dir) / "thresholds.json", "w", encoding="utf-8") as f:
            json.dump({"thresholds": by_label}, f, indent=2, sort_keys=True)
    summary = dict(plan, optimizer_steps=trainer.state.global_step, epochs=trainer.state.epoch, results=results)
    summary.pop("split_rows")
    with open(Path(training_args.output_dir) / "train_summary.json", "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
    print("train.py: model saved to " + training_args.output_dir)

if __name__ == "__main__":
    main()
`;

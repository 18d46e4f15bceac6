"""Optuna 5.0.0's own TPE numbers for the search parity tests.

Reads a JSON request on stdin and writes the answers as JSON:
- "rng": numpy RandomState(seed).random_sample(count)
- "estimators": for a fixed trial history, each parameter's Parzen estimators (below and above) as
  TPESampler(multivariate=False) builds them, their log densities at given points, 24 candidates
  drawn from RandomState(seed) and the acquisition value of each with the chosen index
- "study": the parameters a seeded TPESampler / RandomSampler suggests over n trials of a test function
"""

import json
import math
import sys

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers import RandomSampler, TPESampler
from optuna.samplers._tpe.sampler import _split_trials, default_gamma
from optuna.samplers._tpe.probability_distributions import _BatchedCategoricalDistributions
from optuna.samplers._tpe import _truncnorm
from optuna.trial import TrialState, create_trial

optuna.logging.set_verbosity(optuna.logging.ERROR)


def distribution(spec):
    if spec["kind"] == "float":
        return FloatDistribution(spec["low"], spec["high"], log=spec["log"], step=spec.get("step"))
    if spec["kind"] == "int":
        return IntDistribution(spec["low"], spec["high"], log=spec["log"], step=spec["step"])
    return CategoricalDistribution(spec["choices"])


STATES = {"complete": TrialState.COMPLETE, "pruned": TrialState.PRUNED, "failed": TrialState.FAIL}


def study_from_history(request):
    space = {name: distribution(spec) for name, spec in request["space"]}
    study = optuna.create_study(direction=request["direction"], sampler=TPESampler(seed=request["seed"], multivariate=False))
    for trial in request["history"]:
        state = STATES[trial["state"]]
        study.add_trial(
            create_trial(
                state=state,
                value=trial["value"] if state != TrialState.FAIL else None,
                params=trial["params"],
                distributions={k: space[k] for k in trial["params"]},
                intermediate_values={int(s): v for s, v in trial["intermediate"]},
            )
        )
    return study, space


def describe(mpe):
    mixture = mpe._mixture_distribution
    dist = mixture.distributions[0]
    out = {"weights": mixture.weights.tolist()}
    if isinstance(dist, _BatchedCategoricalDistributions):
        out["categorical"] = dist.weights.tolist()
    else:
        out["mus"] = dist.mu.tolist()
        out["sigmas"] = dist.sigma.tolist()
    return out


def estimators(request):
    study, space = study_from_history(request)
    sampler = study.sampler
    trials = study._get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED), use_cache=False)
    below, above = _split_trials(study, trials, default_gamma(len(trials)))
    result = {"below": [t.number for t in below], "above": [t.number for t in above], "params": {}}
    for name, dist in space.items():
        sub = {name: dist}
        mpe_below = sampler._build_parzen_estimator(study, sub, below, handle_below=True)
        mpe_above = sampler._build_parzen_estimator(study, sub, above, handle_below=False)
        points = {name: np.asarray(request["points"][name], dtype=float)}
        candidates = mpe_below.sample(np.random.RandomState(request["seed"]), 24)
        acquisition = sampler._compute_acquisition_func(candidates, mpe_below, mpe_above)
        result["params"][name] = {
            "below": describe(mpe_below),
            "above": describe(mpe_above),
            "logPdfBelow": mpe_below.log_pdf(points).tolist(),
            "logPdfAbove": mpe_above.log_pdf(points).tolist(),
            "candidates": candidates[name].tolist(),
            "acquisition": acquisition.tolist(),
            "chosen": int(np.argmax(acquisition)),
        }
    return result


def test_function(name, params):
    if name != "quadratic":
        raise ValueError(name)
    value = (math.log10(params["learning_rate"]) + 4.5) ** 2
    if "num_train_epochs" in params:
        value += 0.1 * (params["num_train_epochs"] - 4) ** 2
    if "per_device_train_batch_size" in params:
        value += 0.05 * (math.log2(params["per_device_train_batch_size"]) - 4) ** 2
    if "weight_decay" in params:
        value += (params["weight_decay"] - 0.1) ** 2
    return value


def study(request):
    space = [(name, distribution(spec)) for name, spec in request["space"]]
    sampler = TPESampler(seed=request["seed"], multivariate=False) if request["sampler"] == "tpe" else RandomSampler(seed=request["seed"])
    s = optuna.create_study(direction="minimize", sampler=sampler)
    for _ in range(request["trials"]):
        trial = s.ask()
        params = {name: trial._suggest(name, dist) for name, dist in space}
        s.tell(trial, test_function(request["function"], params))
    return [t.params for t in s.trials]


def special(request):
    a = np.asarray(request["a"], dtype=float)
    b = np.asarray(request["b"], dtype=float)
    q = np.asarray(request["q"], dtype=float)
    return {
        "erf": [math.erf(x) for x in request["x"]],
        "erfc": [math.erfc(x) for x in request["x"]],
        "logNdtr": _truncnorm._log_ndtr(np.asarray(request["x"], dtype=float)).tolist(),
        "logGaussMass": _truncnorm._log_gauss_mass(a, b).tolist(),
        "ppf": _truncnorm.ppf(q, a, b).tolist(),
    }


request = json.load(sys.stdin)
kind = request["kind"]
if kind == "rng":
    answer = np.random.RandomState(request["seed"]).random_sample(request["count"]).tolist()
elif kind == "estimators":
    answer = estimators(request)
elif kind == "study":
    answer = study(request)
elif kind == "special":
    answer = special(request)
else:
    raise ValueError(kind)
json.dump(answer, sys.stdout)

"""Reference posteriors for the five Bayesian confounding logits, by PyMC + nutpie.

Reference only: nothing in the build or CI runs this; its output is a test fixture.

Data: Tests/Fixtures/confounded-logit-bayes.csv (columns group,x,z,y; z repeated on each row),
one draw of SimStudy's `ConfoundedLogit()` DGP (G = 30, n = 2000, a0 = -2, bxy = 0, bzy = 1,
u_g ~ N(0, 1.5), x ~ N(u_g, 1), z_g ~ N(0, 1)) from the random stream with key
StreamKey(seed: 20_261_122, condition: "confounded-logit-bayes", replicate: 0), i.e. the tests'
`testStream("confounded-logit-bayes")`. It was written by the Swift test
BayesianModelTests.fixtureIsTheDGPDraw with SIMSTUDY_WRITE_BAYES_FIXTURE=1; without that variable
the same test checks that the file still is that draw.

Models (N(m, s) has standard deviation s; g = g[j] the group of individual j), as in
Sources/Estimators/BinaryChoice/Bayesian/ConfoundingModels.swift, same variable names:
  naive           bxy, bzy, a0 ~ N(0, 1);       logit p_j = a0 + bxy x_j + bzy z_g
  fixed-effects   bxy, bzy ~ N(0, 1), a0[g] ~ N(0, 10);  logit p_j = a0[g] + bxy x_j + bzy z_g
  multilevel      bxy, bzy, a_bar ~ N(0, 1), tau ~ Exponential(1), e[g] ~ N(a_bar, 1),
                  a_g = a_bar + tau e[g];       logit p_j = a_g + bxy x_j + bzy z_g
  mundlak         multilevel + buy ~ N(0, 1) times the group mean of x
  latent-mundlak  multilevel + buy, bux, a_x ~ N(0, 1), sigma ~ Exponential(1), u[g] ~ N(0, 1),
                  x_j ~ N(a_x + bux u[g], sigma), logit p_j = a_g + bxy x_j + bzy z_g + buy u[g]
tau and sigma are sampled as log tau, log sigma (PyMC's default transform).

Each model is compiled by nutpie (numba backend) and sampled with 4 chains, 1000 tuning and 1000
kept draws, seed 20261122 + model index. The fixture Tests/Fixtures/confounding-models-reference.json
holds per model: ArviZ summary per parameter (mean, sd, 2.5/50/97.5 % quantiles, mcse_mean,
mcse_sd, ess_bulk, r_hat), PSIS-LOO on the y log-likelihood only (also for latent-mundlak), divergences,
compile and sampling seconds, and points in the unconstrained space (PyMC value variables, e.g.
tau_log__) with `model.compile_logp()` there (jacobian included) for the Swift log-density test.

Usage: python3 scripts/reference/confounding_models.py [--models naive,...]   (writes the fixture;
about 30 s of compile per model), or with --bench REPEATS: only the sampling times, as
`study bench --peers` reads them.
"""
import argparse
import json
import math
import os
import platform
import time

import numpy as np

os.environ.setdefault("PYTENSOR_FLAGS", "")
import arviz as az  # noqa: E402
import nutpie  # noqa: E402
import pymc as pm  # noqa: E402

MODELS = ["naive", "fixed-effects", "multilevel", "mundlak", "latent-mundlak"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the package root
CSV = os.path.join(ROOT, "Tests/Fixtures/confounded-logit-bayes.csv")
OUT = os.path.join(ROOT, "Tests/Fixtures/confounding-models-reference.json")
SEED = 20261122
CHAINS, TUNE, DRAWS = 4, 1000, 1000


def load(path):
    d = np.genfromtxt(path, delimiter=",", names=True)
    codes, g = np.unique(d["group"].astype(int), return_inverse=True)
    G = len(codes)
    zg = np.zeros(G)
    zg[g] = d["z"]
    x = np.asarray(d["x"], dtype=float)
    xbar = np.bincount(g, weights=x, minlength=G) / np.bincount(g, minlength=G)
    return dict(g=g, x=x, zg=zg, y=d["y"].astype(int), G=G, xbar=xbar)


def build(name, d):
    G, g, x = d["G"], d["g"], d["x"]
    with pm.Model() as model:
        bxy = pm.Normal("bxy", 0.0, 1.0)
        bzy = pm.Normal("bzy", 0.0, 1.0)
        if name == "naive":
            a0 = pm.Normal("a0", 0.0, 1.0)
            eta = a0 + bxy * x + bzy * d["zg"][g]
        elif name == "fixed-effects":
            a0 = pm.Normal("a0", 0.0, 10.0, shape=G)
            eta = a0[g] + bxy * x + bzy * d["zg"][g]
        else:
            if name != "multilevel":
                buy = pm.Normal("buy", 0.0, 1.0)
            a_bar = pm.Normal("a_bar", 0.0, 1.0)
            tau = pm.Exponential("tau", 1.0)
            if name == "latent-mundlak":
                bux = pm.Normal("bux", 0.0, 1.0)
                a_x = pm.Normal("a_x", 0.0, 1.0)
                sigma = pm.Exponential("sigma", 1.0)
            e = pm.Normal("e", a_bar, 1.0, shape=G)
            a = a_bar + tau * e  # a_bar enters twice, as in the source analysis
            eta = a[g] + bxy * x + bzy * d["zg"][g]
            if name == "mundlak":
                eta = eta + buy * d["xbar"][g]
            if name == "latent-mundlak":
                u = pm.Normal("u", 0.0, 1.0, shape=G)
                pm.Normal("x", a_x + bux * u[g], sigma, observed=x)
                eta = eta + buy * u[g]
        pm.Bernoulli("y", logit_p=eta, observed=d["y"])
    return model


def finite(v):
    v = float(v)
    return v if math.isfinite(v) else None


def point_from_draw(model, posterior, chain, draw):
    """A PyMC point (value-variable name -> unconstrained value) from one posterior draw."""
    point = {}
    for rv in model.free_RVs:
        vv = model.rvs_to_values[rv]
        v = np.asarray(posterior[rv.name].values[chain, draw], dtype=float)
        if model.rvs_to_transforms[rv] is not None:
            assert vv.name == rv.name + "_log__", vv.name
            v = np.log(v)
        point[vv.name] = v
    return point


def jsonable(point):
    return {k: (v.tolist() if np.ndim(v) else float(v)) for k, v in point.items()}


def run(name, index, d):
    model = build(name, d)
    seed = SEED + index
    t0 = time.perf_counter()
    compiled = nutpie.compile_pymc_model(model)
    compile_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    idata = nutpie.sample(compiled, chains=CHAINS, tune=TUNE, draws=DRAWS, seed=seed, progress_bar=False, cores=2)
    sampling_seconds = time.perf_counter() - t0
    names = [rv.name for rv in model.free_RVs]

    summary = az.summary(idata, var_names=names, kind="all", round_to="none")
    params = {}
    for label, row in summary.iterrows():
        base, _, rest = label.partition("[")
        draws = idata.posterior[base].values
        if rest:
            draws = draws[..., int(rest.rstrip("]"))]
        q = np.quantile(draws.ravel(), [0.025, 0.5, 0.975])
        params[label] = {
            "mean": finite(row["mean"]), "sd": finite(row["sd"]),
            "q2.5": finite(q[0]), "q50": finite(q[1]), "q97.5": finite(q[2]),
            "mcse_mean": finite(row["mcse_mean"]), "mcse_sd": finite(row["mcse_sd"]),
            "ess_bulk": finite(row["ess_bulk"]),
            "r_hat": finite(row["r_hat"]),
        }

    with model:
        pm.compute_log_likelihood(idata, var_names=["y"], extend_inferencedata=True, progressbar=False)
    loo = az.loo(idata, var_name="y", pointwise=True)

    # Points for the log-density test: two posterior draws and one random point.
    logp = model.compile_logp()  # jacobian=True: the density of the unconstrained values
    points = [point_from_draw(model, idata.posterior, 0, DRAWS - 1), point_from_draw(model, idata.posterior, 1, DRAWS // 2)]
    rng = np.random.default_rng(seed)
    points.append({k: rng.normal(0.0, 0.5, np.shape(v)) if np.ndim(v) else float(rng.normal(0.0, 0.5))
                   for k, v in points[0].items()})
    logp_points = [{"theta": jsonable(p), "logp": float(logp(p))} for p in points]

    divergences = int(idata.sample_stats["diverging"].values.sum())
    print(f"{name:15s} compile {compile_seconds:6.1f} s  sample {sampling_seconds:6.1f} s  "
          f"divergences {divergences:4d}  bxy {params['bxy']['mean']:+.3f} ({params['bxy']['sd']:.3f})  "
          f"bzy {params['bzy']['mean']:+.3f} ({params['bzy']['sd']:.3f})  "
          f"elpd_loo {float(loo.elpd_loo):.2f} ± {float(loo.se):.2f}", flush=True)
    return {
        "seed": seed,
        "compile_seconds": compile_seconds,
        "sampling_seconds": sampling_seconds,
        "divergences": divergences,
        "parameters": params,
        "loo": {
            "elpd_loo": float(loo.elpd_loo), "se": float(loo.se), "p_loo": float(loo.p_loo),
            "max_pareto_k": float(np.max(loo.pareto_k.values)),
        },
        "logp_points": logp_points,
    }


def bench(models, d, repeats):
    """Sampling time only (compile excluded), for `study bench --peers`: one line per model and
    core count, `bench MODEL cores=C seconds=S gradients=G`, S the median over `repeats` seeds."""
    for name in models:
        compiled = nutpie.compile_pymc_model(build(name, d))
        for cores in (1, 2):
            times, gradients = [], []
            for r in range(repeats):
                t0 = time.perf_counter()
                idata = nutpie.sample(compiled, chains=CHAINS, tune=TUNE, draws=DRAWS, seed=SEED + r,
                                      progress_bar=False, cores=cores)
                times.append(time.perf_counter() - t0)
                steps = int(idata.sample_stats["n_steps"].values.sum())
                if "warmup_sample_stats" in idata.groups():
                    steps += int(idata.warmup_sample_stats["n_steps"].values.sum())
                gradients.append(steps)
            print(f"bench {name} cores={cores} seconds={float(np.median(times)):.4f} "
                  f"gradients={int(np.median(gradients))}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--bench", type=int, default=0, metavar="REPEATS",
                    help="only time sampling (REPEATS seeds per model and core count) and print it; no fixture")
    args = ap.parse_args()
    d = load(CSV)
    if args.bench > 0:
        print(f"PyMC {pm.__version__} + nutpie {nutpie.__version__}: {CHAINS} chains x ({TUNE} tune + {DRAWS} draws)")
        bench(args.models.split(","), d, args.bench)
        return
    result = {
        "data": os.path.relpath(CSV, ROOT),
        "individuals": int(len(d["y"])),
        "groups": int(d["G"]),
        "sampler": {"name": "nutpie", "chains": CHAINS, "tune": TUNE, "draws": DRAWS, "cores": 2,
                    "backend": "numba"},
        "versions": {"pymc": pm.__version__, "nutpie": nutpie.__version__, "arviz": az.__version__,
                     "numpy": np.__version__, "python": platform.python_version()},
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared with other builds)",
        "models": {},
    }
    if os.path.exists(args.out):  # keep models not rerun
        with open(args.out) as f:
            result["models"] = json.load(f).get("models", {})
    for name in args.models.split(","):
        result["models"][name] = run(name, MODELS.index(name), d)
    result["models"] = {k: result["models"][k] for k in MODELS if k in result["models"]}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1, allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Plot the RSS curve of a soak CSV (stress/soak.sh) to a small PNG.

    python3 stress/plot_rss.py stress/results/soak_rss.csv stress/results/soak_rss.png [--title T]

Needs matplotlib. If it is not importable, a virtualenv is created once under
$HBF_STRESS_VENV (default ~/.cache/hbf-stress-venv), matplotlib is installed into it from PyPI
with pip, and the script re-runs itself there. Columns used: t_s, rss_kib, fds.
"""
import argparse
import csv
import os
import subprocess
import sys


def ensure_matplotlib():
    try:
        import matplotlib  # noqa: F401
        return
    except ImportError:
        pass
    if os.environ.get("HBF_PLOT_IN_VENV"):
        sys.exit("plot_rss: matplotlib still missing inside the virtualenv")
    venv = os.environ.get("HBF_STRESS_VENV", os.path.expanduser("~/.cache/hbf-stress-venv"))
    py = os.path.join(venv, "bin", "python3")
    if not os.path.exists(py):
        print(f"plot_rss: creating {venv} and installing matplotlib from PyPI", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    probe = subprocess.run([py, "-c", "import matplotlib"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([py, "-m", "pip", "install", "--quiet", "matplotlib"], check=True,
                       timeout=600)
    env = dict(os.environ, HBF_PLOT_IN_VENV="1")
    os.execve(py, [py, os.path.abspath(__file__)] + sys.argv[1:], env)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv")
    ap.add_argument("png")
    ap.add_argument("--title", default="hbf RSS during soak")
    args = ap.parse_args()
    ensure_matplotlib()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t, rss, fds = [], [], []
    with open(args.csv, newline="") as f:
        for row in csv.DictReader(f):
            t.append(int(row["t_s"]) / 60)
            rss.append(int(row["rss_kib"]) / 1024)
            fds.append(int(row["fds"]))
    if len(t) < 2:
        sys.exit("plot_rss: fewer than two samples")

    # least-squares line over the second half, as soak.sh computes it
    h = len(t) // 2
    xs, ys = t[h:], rss[h:]
    m = len(xs)
    sx, sy = sum(xs), sum(ys)
    sxx = sum(x * x for x in xs)
    sxy = sum(x * y for x, y in zip(xs, ys))
    d = m * sxx - sx * sx
    slope = (m * sxy - sx * sy) / d if m > 1 and d else 0.0
    icept = (sy - slope * sx) / m

    fig, ax = plt.subplots(figsize=(6.4, 3.2), dpi=100)
    ax.plot(t, rss, marker=".", linewidth=1, label="VmRSS (MiB)")
    ax.plot([xs[0], xs[-1]], [icept + slope * xs[0], icept + slope * xs[-1]], "--",
            linewidth=1, label=f"2nd-half trend {slope * 1024:.1f} KiB/min")
    ax.set_xlabel("minutes")
    ax.set_ylabel("RSS (MiB)")
    ax.set_ylim(0, max(rss) * 1.25)
    ax.grid(alpha=0.3)
    ax2 = ax.twinx()
    ax2.plot(t, fds, color="grey", linewidth=0.8, alpha=0.6, label="open fds")
    ax2.set_ylabel("fds")
    ax2.set_ylim(0, max(fds) * 2 + 1)
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [ln.get_label() for ln in lines], loc="lower right", fontsize=8)
    ax.set_title(args.title, fontsize=9)
    fig.tight_layout()
    fig.savefig(args.png)
    print(f"plot_rss: wrote {args.png}")


if __name__ == "__main__":
    main()

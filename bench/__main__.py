"""`make bench` / `python -m bench [scenario …]`: runs the benchmark scenarios.

Each scenario is a module `bench/scenario_<name>.py` with `run(args) -> str`
returning a Markdown section that names its command, its baseline measured in
the same run and the ratio. Results are printed and written to
bench/results/<name>.md; docs/benchmarks.md quotes them.
"""

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

import bench


def scenarios():
    return sorted(
        m.name[len("scenario_") :]
        for m in pkgutil.iter_modules(bench.__path__)
        if m.name.startswith("scenario_")
    )


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", help=f"scenarios (default all): {', '.join(scenarios())}")
    parser.add_argument("--quick", action="store_true", help="smaller data and shorter runs (smoke test)")
    args = parser.parse_args(argv)
    out_dir = Path(__file__).parent / "results"
    out_dir.mkdir(exist_ok=True)
    for name in args.names or scenarios():
        module = importlib.import_module(f"bench.scenario_{name}")
        print(f"== {name} ==", flush=True)
        section = module.run(args)
        print(section, flush=True)
        (out_dir / f"{name}.md").write_text(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())

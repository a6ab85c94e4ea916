"""python3 -m dctestbed EXPERIMENT [options]   (see --help)
python3 -m dctestbed report RUN_DIR           (rewrite a run's report)"""

import os
import sys
from pathlib import Path

from dctestbed import options


def main(argv):
    # matplotlib's font cache, kept between runs (the VM's home is read-only)
    os.environ.setdefault("MPLCONFIGDIR", str(Path(__file__).resolve().parents[2] / ".tools" / "mpl"))
    if argv[:1] == ["report"]:
        from dctestbed import report
        return report.main(argv[1:])
    try:
        o = options.parse(argv)
        options.check(o)
    except options.OptionError as e:
        print(f"dctestbed: error: {e}", file=sys.stderr)
        return 2
    from dctestbed import runner
    try:
        out, interrupted = runner.execute(o, argv)
    except options.OptionError as e:
        print(f"dctestbed: error: {e}", file=sys.stderr)
        return 2
    if o.report:
        from dctestbed import report
        print(f"report: {report.write_report(out)}", flush=True)
    else:
        print(f"raw data: {out}", flush=True)
    return 1 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

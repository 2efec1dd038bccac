"""Follow-up links (recommendation -> later debate point) on the labelled pairs: precision and recall of the shipped scorer
(graph/data/followup_model.npz) on each split. Needs a data directory holding the labelled pairs' minutes and reports:
  R=../shared/data/ofsted/reports
  councilkg ingest corpus/sample ../shared/data/kent-items ../shared/data/kent-pdf \\
    $R/80474_herefordshire_2014-06-30.pdf $R/80474_herefordshire_2018-07-23.pdf $R/80498_haringey_2014-07-18.pdf \\
    $R/80498_haringey_2018-12-14.pdf $R/80484_lincolnshire_2015-01-06.pdf $R/80476_kent_2013-08-23.pdf \\
    $R/80476_kent_2017-06-13.pdf $R/80476_kent_2022-07-05.pdf --data DIR
then: .venv/bin/python tests/eval/followups.py DIR"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from councilkg.embed.train_followups import evaluate
from councilkg.graph import followup_model, store

if __name__ == "__main__":
    m = followup_model.model()
    got = evaluate(store.connect(Path(sys.argv[1]), readonly=True), m)
    print(json.dumps({"threshold": m.threshold, "cv_precision": m.cv_precision, "trusted": m.trusted} | got))

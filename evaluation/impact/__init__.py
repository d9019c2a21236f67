"""Impact estimators: balance, difference-in-differences, ANCOVA, pre/post, attrition,
bounds, wild cluster bootstrap and multiple-testing corrections.

Each public name lives in its own module. They are imported here eagerly: importing a
submodule binds its name on the package, and the ``from … import`` below rebinds it to the
function, so ``from evaluation.impact import did`` always gives the function.
"""

from evaluation.impact.ancova import ancova
from evaluation.impact.attrition import attrition
from evaluation.impact.balance import balance_table
from evaluation.impact.bootstrap import wild_cluster_bootstrap
from evaluation.impact.bounds import lee_bounds
from evaluation.impact.did import did
from evaluation.impact.multiple_testing import adjust_pvalues, romano_wolf
from evaluation.impact.pre_post import mcnemar, pre_post

__all__ = [
    "adjust_pvalues",
    "ancova",
    "attrition",
    "balance_table",
    "did",
    "lee_bounds",
    "mcnemar",
    "pre_post",
    "romano_wolf",
    "wild_cluster_bootstrap",
]

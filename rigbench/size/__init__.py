"""``rigbench size``: will a model fit, how long will it train, what will it cost, on every card and cloud instance.

* ``load``: the MODEL argument (a built-in workload, ``package.module:factory`` or ``file.py[:factory]``) as a Job;
* ``trace``: one real training step counted on this CPU (FLOPs, bytes moved, live and saved bytes);
* ``demand``: the batch dependence fitted from two traced steps, and a ``rigbench.model.Demand`` at any batch;
* ``plan``: every catalog card and cloud instance through ``rigbench.model``, ``rigbench.scaling`` and the price list.
"""

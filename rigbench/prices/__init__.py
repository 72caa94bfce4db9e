"""What things cost: the price data rigbench reads, one module per kind of price.

- :mod:`rigbench.prices.cloud`: the cloud GPU instance list (``profiles/cloud_prices.csv``, or the user's own list
  that ``rigbench prices refresh`` writes), which list applies, picking instances for ``--rent``, writing a list.
- :mod:`rigbench.prices.skypilot`: the refresh: reading SkyPilot's public catalog into that list.
- :mod:`rigbench.prices.cards`: what a graphics card costs (launch, street, used) and the resale curve fitted to it.
- :mod:`rigbench.prices.extras`: what renting costs besides the instance hour (storage, egress, billing increments).
- :mod:`rigbench.prices.services`: the cloud services the guide names, and whether the list has them.

Every file under ``profiles/`` is read through :mod:`rigbench.data`; the arithmetic that uses these prices is
:mod:`rigbench.cost`.
"""

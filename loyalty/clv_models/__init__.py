"""Customer-lifetime models beside BG/NBD, as pure numpy/scipy functions.

* :mod:`loyalty.clv_models.pareto_nbd` - Pareto/NBD (Schmittlein, Morrison & Colombo 1987),
  non-contractual: customers may leave at any time, unobserved;
* :mod:`loyalty.clv_models.mbgnbd` - MBG/NBD (Batislam, Denizel & Filiztekin 2007),
  non-contractual: BG/NBD in which customers may also leave right after their first purchase;
* :mod:`loyalty.clv_models.sbg` - the shifted-beta-geometric model (Fader & Hardie 2007),
  contractual: renewals per period, survival and retention curves, and the discounted
  expected residual lifetime (Fader & Hardie 2010) that turns a payment into an LTV.

Every fit takes arrays (no DataFrame needed), groups identical rows and weights them by
their count (``weights=`` may already hold counts), fits on the log scale with analytic
gradients, and raises :class:`loyalty.errors.LoyaltyError` from the ``clv_models``
message catalogue when the data cannot support a fit.  The two non-contractual modules share
one API: ``fit``, ``loglik``, ``probability_alive``, ``expected_purchases``, ``simulate``.
"""

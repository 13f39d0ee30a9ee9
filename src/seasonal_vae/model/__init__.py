"""Stage 2, the model: the seasonal-prior VAE (``vae``), its training (``train``), sampling
(``sample``) and the layout of the files it writes (``samples_file``), the record it
conditions on (``record``), posterior fitting to observed hours (``posterior``) and the
classical generators it is judged beside (``baselines``: ``harmonic_ar``, ``bootstrap``)."""

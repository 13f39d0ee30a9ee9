"""Stage 2, the model: the seasonal-prior VAE (``vae``), its training, sampling, posterior
fitting (``inference``) and the classical generators it is judged beside (``baselines``)."""

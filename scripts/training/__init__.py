"""Training and model-preparation tools that are not part of the add-on: the colorizer's training code
and its command line, and the VGG16 weight conversion."""

"""Sphinx configuration of the skfair_ij documentation (builds offline)."""

import skfair_ij

project = "skfair_ij"
author = "skfair_ij developers"
release = skfair_ij.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autodoc_default_options = {"members": True, "inherited-members": False}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
html_theme = "alabaster"
# Methods inherited from scikit-learn (score, set_fit_request, ...) carry docstrings
# that cross-reference scikit-learn's own glossary and labels, which an offline build
# (no intersphinx) cannot resolve.
suppress_warnings = ["config.cache", "ref.ref", "ref.term"]

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
}

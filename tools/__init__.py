"""Build tools of the chapter, outside the runtime package: no notebook imports them, Colab never
installs them, and editing them leaves the notebooks' stored outputs fresh. They need the ``[test]``
extras (nbformat, nbclient, nbconvert, jupytext). One command line, ``python -m tools <command>``
(``python -m tools --help``); the Makefile's ``notebooks``, ``pair``, ``badges``, ``slides`` and
``exercises`` targets call it.

* ``nbio`` — the one notebook I/O layer: paths, reading, writing in the form JupyterLab + jupytext
  save (so opening a notebook changes nothing), marked blocks, running a notebook;
* ``badges`` — Colab / Kaggle / Binder badges and the hosted set-up block of every notebook;
* ``pairs`` — the jupytext ``py:percent`` text pairs in ``notebooks/py/``;
* ``freshness`` — what the stored outputs were produced from, and re-executing at reader size;
* ``teaching`` — exercises, takeaways and the prerequisites line from ``notebooks/exercises/*.md``,
  and the worked-solutions notebooks;
* ``slides`` — the slideshow rule and the reveal.js decks; ``timings`` — per-cell run times.
"""

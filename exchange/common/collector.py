"""Python's cyclic garbage collector, paused around work that makes many short-lived
objects at once."""

import contextlib
import gc


@contextlib.contextmanager
def gc_paused():
    """The cycle collector paused, then resumed as it was. Work that makes tens of
    thousands of tuples, lists, dictionaries or model instances that live until it ends
    (the bulk loads, the set-based matching engine) sets off the collector's passes over
    every object of the process again and again for nothing. Reference counting still
    frees at once what is dropped; the collector looks again once resumed. Concurrent
    pauses end with the collector on: the first caller saw it on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

"""The embedded AWS: a local endpoint (moto server) plus the few patches moto needs to run this stack.

Every patch lives in its own module and is installed by `patches.install_all`; each has a test in
tests/embedded/ so that a moto upgrade that breaks one fails loudly.
"""

"""The embedded AWS: a local endpoint (moto server) plus the few patches moto needs to run this stack.

Every patch lives in its own module, exposes one `installed()` context manager, and is entered by `server.py`;
each has a test in tests/embedded/ so that a moto upgrade that breaks one fails loudly.
"""

# Function calls that run at the same time, all functions together (`local start --lambda-concurrency`); a call
# past it waits for a free one. AWS's account default, 1,000, is more than one process can use.
DEFAULT_LAMBDA_CONCURRENCY = 16

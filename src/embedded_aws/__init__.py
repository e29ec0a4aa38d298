"""The embedded AWS: a local endpoint (moto server) plus the few patches moto needs to run this stack.

Every patch lives in its own module, exposes one `installed()` context manager, and is entered by `server.py`;
each has a test in tests/embedded/ so that a moto upgrade that breaks one fails loudly.
"""

# Function calls that run at the same time, all functions together (`local start --lambda-concurrency`); a call
# past it waits for a free one. AWS's account default is 1,000, but every call here shares one Python process (one
# core): more calls at once only slow each other and the crawler they poll. A burst of 200 files took 78 s with 1,
# 86 s with 2, 122 s with 4 and over 5 minutes with 16 (the crawls slowed down, so each execution polled more).
DEFAULT_LAMBDA_CONCURRENCY = 2

"""Imported by the application: its top level calls `start_worker()`."""
from util import start_worker

WORKER = start_worker()

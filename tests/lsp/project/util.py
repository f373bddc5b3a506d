"""Helpers the application calls; `start_worker` starts a thread."""
import threading


def work():
    pass


def start_worker():
    worker = threading.Thread(target=work)
    worker.start()
    return worker

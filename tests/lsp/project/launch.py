"""Starts a child in a new session, through a `preexec_fn`."""
import os
import subprocess


def launch(cmd):
    return subprocess.Popen(cmd, preexec_fn=os.setsid)

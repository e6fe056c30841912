"""Past one process: `newsbot worker` processes run newsbot's work as procrastinate jobs on the
PostgreSQL store, and `newsbot run` queues them ([workers] enabled). queue.py: the App and its
schema; tasks.py: the jobs; defer.py: what `run` queues; runner.py: `newsbot worker`;
status.py: `newsbot jobs`; commands.py: the CLI's bodies."""

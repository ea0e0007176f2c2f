"""APScheduler set-up: the features declare their jobs; this package registers them generically.

Our own tables stay the source of truth; APScheduler only keeps the in-memory triggers, rebuilt
whenever a process starts leading. Schedules that users create at run time (broadcasts) are
not APScheduler jobs: one declared job fires the due ones from the database, so a schedule
made on any process is seen by the leader.
"""

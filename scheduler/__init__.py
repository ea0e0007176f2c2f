"""APScheduler set-up and thin jobs; our own tables stay the source of truth."""

"""Jobs: APScheduler wiring only — `billing scheduler` and the schedule it runs.

`schedule` reads config/schedule.toml; `tasks` holds one thin wrapper per job, each calling its
pipeline step through `billing.pipeline.jobs.run_job` (which makes it run once per key);
`scheduler` runs them in a BlockingScheduler with its job store in the workspace's database.
May import pipeline and config (and domain for problems); no step logic lives here.
"""

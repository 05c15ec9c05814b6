"""Schedules: a root @workflow with `schedule=` also gets a CronWorkflow."""

import athena


@athena.container
def report(region: str, days: int = 7) -> None:
    print(region, days)


@athena.workflow(
    schedule=["0 4 * * *", "30 12 * * MON-FRI"],
    timezone="Europe/Berlin",
    concurrency_policy="Forbid",
    starting_deadline="5m",
    suspend=True,
    successful_jobs_history_limit=0,
    failed_jobs_history_limit=5,
    cron_arguments={"region": "eu-west"},
)
def nightly_report(region: str, days: int = 7) -> None:
    report(region, days)

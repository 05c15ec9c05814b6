# docs/examples/schedules.py
"""Schedules: a root workflow with schedule= also gets a CronWorkflow."""

from athena import container, workflow


@container
def report(region: str, days: int) -> None:
    print(f"report for {region}, last {days} days")


@workflow(
    schedule=["0 4 * * *", "30 12 * * MON-FRI"],
    timezone="Europe/Berlin",
    concurrency_policy="Forbid",
    starting_deadline="5m",
    cron_arguments={"region": "eu-west"},
)
def nightly_report(region: str, days: int = 7) -> None:
    report(region, days)

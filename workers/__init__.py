"""Background work: the job kinds the core runs (exports, imports, scoring, monitoring, mail,
webhooks, notifications), the runtime that binds each job to its municipality and runs it, the
dramatiq broker (Redis, or in process for ``make run``), the worker loop and the periodic
schedule. See docs/workers.md."""

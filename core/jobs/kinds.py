"""The built-in job kinds' names: asked for by the API and the core, run by ``workers/``."""

RECOMPUTE = "scores.recompute"
EXPORT = "exports.plan"
IMPORT = "imports.plan"
DELIVER = "notifications.deliver"
DELAYS = "monitoring.delays"
DIGEST = "monitoring.digest"

"""Multi-tenancy: binding work to one municipality, isolation, provisioning."""

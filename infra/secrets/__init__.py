"""Workload secrets as files: the `SecretStore` interface and the Kubernetes store (`store`), Azure Key Vault
(`key_vault`, prod) and workload identity (`workload_identity`). Azure modules are imported by the prod path only."""

"""Clusters: K3s (`k3s`), a cluster you bring (`existing`) and AKS (`aks`), each giving a `handle.ClusterHandle`,
and the stack's one Kubernetes provider (`provider`). Import the submodules: `aks` imports Azure, dev never does."""

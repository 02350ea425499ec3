"""Scripts that run inside the cluster (shipped in ConfigMaps), kept as real files so they are linted and tested."""

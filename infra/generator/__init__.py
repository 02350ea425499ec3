"""The generator service (`app/`) on Kubernetes: the `Generator` component (`generator`) and its pure specs."""

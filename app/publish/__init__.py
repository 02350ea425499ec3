"""Publishing generated projects to GitHub: who may, the REST client, and the push that never half-publishes."""

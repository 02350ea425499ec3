"""LLM backends behind one protocol: the local Ollama and an OpenAI-compatible cloud provider."""

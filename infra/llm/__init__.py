"""The local LLM: Ollama and its model volume (`ollama`), the model preload Job (`preload`, running
`scripts/ollama_preload.py`) and NVIDIA's device plugin for GPU nodes (`gpu_device_plugin`)."""

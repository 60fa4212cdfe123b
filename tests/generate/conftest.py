from tests.llm.conftest import ollama  # noqa: F401  (the scripted server fixture)

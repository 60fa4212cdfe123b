"""The debugger's core: a program run one instruction at a time, with breakpoints, stepping
in both directions, and expressions over its state. It knows nothing of the Debug Adapter
Protocol (that is `dap/`), nor of models: at an LLM instruction it stops and waits for an
answer from its host."""

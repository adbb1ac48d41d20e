"""Built-in plugins: they use only the public hooks, exactly as a third party would."""

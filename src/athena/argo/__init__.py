"""Argo Workflows specifics: generated names, limits and (later) the YAML emitter."""

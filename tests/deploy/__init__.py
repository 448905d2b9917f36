"""Offline checks of what operations deploy: the process images' Containerfiles
(deploy/containers/) and the Kubernetes manifests (deploy/k8s/); docs/deploy.md.

No container engine, kubectl or kustomize runs here: the files are read with
parsers and checked against the code they deploy (its settings, ports, paths).
"""

"""The playbooks shipped with Yuqing (YAML). A deployment may point YUQING_PLAYBOOKS_DIR at its own."""

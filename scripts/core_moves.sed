# Import paths after the core/ rooms move (issue 10). Idempotent: run it again after a merge.
# git ls-files '*.py' '*.md' '*.toml' | xargs sed -E -i -f scripts/core_moves.sed
s/\bfrom core import (dropout_mask|fused_[a-z_]+) as ([a-z_]+)$/from core.engines import \1 as \2/
s/\bfrom core import fused$/from core.engines import fused/
s/\bfrom core import ((dropout_mask|fused_[a-z_]+)(, (dropout_mask|fused_[a-z_]+))*)$/from core.engines import \1/
s/\bcore\.fused_([a-z_]+)\b/core.engines.fused_\1/g
s/\bcore\.fused\b/core.engines.fused/g
s/\bcore\.(dropout_mask|device)\b/core.engines.\1/g
s/\bcore\.trainer\b/core.training.trainer/g
s/\bcore\.(control|snapshot|history|shuffle|health|rollback)\b/core.training.\1/g
s/\bcore\.model\b/core.nn.build/g
s/\bcore\.losses\b/core.nn.losses/g
s/\bcore\.optim\b/core.nn.optimizers/g
s/\bcore\.(atomic|textfile|checkpoint_fields|checkpoint|autosave)\b/core.files.\1/g
s#\bcore/fused([a-z_]*)\.py\b#core/engines/fused\1.py#g
s#\bcore/(dropout_mask|device)\.py\b#core/engines/\1.py#g
s#\bcore/(trainer|control|snapshot|history|shuffle|health|rollback)\.py\b#core/training/\1.py#g
s#\bcore/model\.py\b#core/nn/build.py#g
s#\bcore/losses\.py\b#core/nn/losses.py#g
s#\bcore/optim\.py\b#core/nn/optimizers.py#g
s#\bcore/(atomic|textfile|checkpoint_fields|checkpoint|autosave)\.py\b#core/files/\1.py#g

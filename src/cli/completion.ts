/** `bindwall completion bash|zsh`: a completion script for the shell (eval it, or install it). */
import { UsageError } from './usage.js';

/** Commands, their subcommands, and the options every command takes. */
const COMMANDS: Readonly<Record<string, readonly string[]>> = {
  start: [], demo: [], doctor: [], health: ['dismiss', 'restore'], status: [], config: ['check'], risk: ['show'], endpoints: [], policy: ['check', 'schema', 'explain', 'replay'],
  incidents: ['list', 'show', 'ack', 'resolve'], 'dead-letters': ['list', 'retry'], quarantine: ['list', 'add', 'release'], threats: ['list', 'show', 'add', 'release'],
  connectors: [], lockouts: ['list', 'show', 'release'], import: ['schema'], simulate: [], completion: ['bash', 'zsh'],
};
const OPTIONS = ['--config', '--db', '--json', '--help', '--operator', '--since', '--until', '--status', '--reason', '--force', '--connect', '--log-level', '--port', '--user', '--endpoint', '--app', '--policy', '--all'];

export function completionScript(shell: string): string {
  const cmds = Object.keys(COMMANDS).join(' ');
  const subs = Object.entries(COMMANDS).filter(([, s]) => s.length > 0).map(([c, s]) => `    ${c}) subs="${s.join(' ')}" ;;`).join('\n');
  if (shell === 'bash') {
    return `# bindwall completion for bash: eval "$(bindwall completion bash)"
_bindwall() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" subs=""
  if [ "$COMP_CWORD" -eq 1 ]; then COMPREPLY=( $(compgen -W "${cmds} --help --version" -- "$cur") ); return; fi
  case "$cur" in -*) COMPREPLY=( $(compgen -W "${OPTIONS.join(' ')}" -- "$cur") ); return ;; esac
  case "\${COMP_WORDS[COMP_CWORD-1]}" in --config|-c|--db|--policy) COMPREPLY=( $(compgen -f -- "$cur") ); return ;; esac
  if [ "$COMP_CWORD" -eq 2 ]; then
    case "\${COMP_WORDS[1]}" in
${subs}
    esac
    COMPREPLY=( $(compgen -W "$subs" -- "$cur") )
  fi
}
complete -o default -F _bindwall bindwall
`;
  }
  if (shell === 'zsh') {
    return `#compdef bindwall
# bindwall completion for zsh: bindwall completion zsh > "\${fpath[1]}/_bindwall"
_bindwall() {
  local -a subs
  if (( CURRENT == 2 )); then compadd -- ${cmds} --help --version; return; fi
  if [[ "$words[CURRENT]" == -* ]]; then compadd -- ${OPTIONS.join(' ')}; return; fi
  case "$words[CURRENT-1]" in --config|-c|--db|--policy) _files; return ;; esac
  if (( CURRENT == 3 )); then
    case "$words[2]" in
${Object.entries(COMMANDS).filter(([, s]) => s.length > 0).map(([c, s]) => `      ${c}) subs=(${s.join(' ')}) ;;`).join('\n')}
    esac
    compadd -- $subs
  fi
}
compdef _bindwall bindwall
`;
  }
  throw new UsageError('usage: bindwall completion bash|zsh');
}

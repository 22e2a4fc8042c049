# Probe TCP targets from a Windows host, all at once, each within TimeoutMs milliseconds.
# Targets: list of @{host; port; protocol; expect; name}. Sets $Ansible.Result.results in the shape
# of vdi.firewall.probe's results, so that vdi.firewall.verify_report reads both alike.
param(
    [Parameter(Mandatory = $true)][object[]]$Targets,
    [int]$TimeoutMs = 2000
)
$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false
$pending = foreach ($target in $Targets) {
    $client = New-Object System.Net.Sockets.TcpClient
    $started = [Diagnostics.Stopwatch]::StartNew()
    try {
        $task = $client.ConnectAsync([string]$target.host, [int]$target.port)
    } catch {
        $task = $null
    }
    [pscustomobject]@{ Target = $target; Client = $client; Task = $task; Clock = $started }
}
$deadline = [Diagnostics.Stopwatch]::StartNew()
$results = foreach ($item in $pending) {
    $state = 'error'
    $detail = ''
    if ($null -ne $item.Task) {
        $left = [Math]::Max(0, $TimeoutMs - [int]$deadline.ElapsedMilliseconds)
        try {
            if ($item.Task.Wait($left)) {
                $state = 'open'
                $detail = 'connected'
            } else {
                $state = 'timeout'
                $detail = "no answer within $TimeoutMs ms"
            }
        } catch {
            $inner = $_.Exception.InnerException
            while ($null -ne $inner -and $null -ne $inner.InnerException) { $inner = $inner.InnerException }
            $detail = if ($null -ne $inner) { $inner.Message } else { $_.Exception.Message }
            $state = if ($detail -match 'refused|actively') { 'refused' } else { 'unreachable' }
        }
    }
    $item.Client.Dispose()
    $expect = $item.Target.expect
    [ordered]@{
        host = $item.Target.host
        port = [int]$item.Target.port
        protocol = 'tcp'
        name = $item.Target.name
        expect = $expect
        state = $state
        passed = if ($null -eq $expect) { $null } else { ($state -eq 'open') -eq ($expect -eq 'open') }
        seconds = [Math]::Round($item.Clock.Elapsed.TotalSeconds, 3)
        detail = $detail
    }
}
$Ansible.Result = @{ results = @($results) }

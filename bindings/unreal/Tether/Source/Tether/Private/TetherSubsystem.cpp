#include "TetherSubsystem.h"

#include "Misc/CoreDelegates.h"
#include "TetherModule.h"
#include "TetherNative.h"

namespace
{
	FString FromUtf8(const char* Text, uint32 Length)
	{
		if (Length == 0) return FString();
		const FUTF8ToTCHAR Converted(Text, static_cast<int32>(Length));
		return FString(Converted.Length(), Converted.Get());
	}

	// tether_state and ETetherState share their order.
	ETetherState ToState(uint32 State)
	{
		return State <= TETHER_STATE_UNAUTHORIZED ? static_cast<ETetherState>(State) : ETetherState::Idle;
	}

	ETetherSendOutcome ToOutcome(uint32 Outcome)
	{
		// tether_send_outcome and ETetherSendOutcome share their order.
		return Outcome <= TETHER_OUTCOME_UNSUPPORTED ? static_cast<ETetherSendOutcome>(Outcome) : ETetherSendOutcome::Closed;
	}

	FTetherProblem ToProblem(const tether_event& Event)
	{
		FTetherProblem Problem;
		Problem.Code = FromUtf8(Event.code, Event.code_len);
		Problem.Reason = FromUtf8(Event.reason, Event.reason_len);
		Problem.bTransport = Event.type == TETHER_EVENT_TRANSPORT_ERROR;
		Problem.Connection = static_cast<int32>(Event.connection);
		return Problem;
	}
}

bool UTetherSubsystem::Connect(const FString& Url, const FString& Token, const FTetherSettings& Settings)
{
	DestroyClient();
	if (!RequireLibrary())
	{
		UE_LOG(LogTether, Error, TEXT("Connect: %s"), *LastError);
		return false;
	}
	const FTCHARToUTF8 UrlText(*Url);
	const FTCHARToUTF8 TokenText(*Token);
	const FTCHARToUTF8 CaText(*Settings.TlsCaPem);

	tether_config Config;
	tether_config_init(&Config);
	Config.url = UrlText.Get();
	Config.token = Token.IsEmpty() ? nullptr : TokenText.Get();
	Config.tls_ca_pem = Settings.TlsCaPem.IsEmpty() ? nullptr : CaText.Get();
	Config.tls_verify_peer = Settings.bVerifyTls ? 1u : 0u;
	// tether.h: backoff_max_attempts 0 = never give up; tether_config_init's default is 10.
	if (Settings.bNeverGiveUp) Config.backoff_max_attempts = 0;
	else if (Settings.BackoffMaxAttempts > 0) Config.backoff_max_attempts = static_cast<uint32_t>(Settings.BackoffMaxAttempts);
	if (Settings.PoolSize > 0) Config.pool_size = static_cast<uint32_t>(Settings.PoolSize);
	if (Settings.HeartbeatIntervalMs > 0) Config.heartbeat_interval_ms = Settings.HeartbeatIntervalMs;
	if (Settings.HeartbeatTimeoutMs > 0) Config.heartbeat_timeout_ms = Settings.HeartbeatTimeoutMs;
	if (Settings.BackoffInitialMs > 0) Config.backoff_initial_ms = Settings.BackoffInitialMs;
	if (Settings.BackoffMaxMs > 0) Config.backoff_max_ms = Settings.BackoffMaxMs;
	if (Settings.MaxPendingEventBytes > 0) Config.max_pending_event_bytes = static_cast<uint64_t>(Settings.MaxPendingEventBytes);

	const int32 Result = tether_client_create(&Config, &Client);  // copies every string
	if (Result != TETHER_OK)
	{
		LastError = FString(UTF8_TO_TCHAR(tether_client_last_error(nullptr)));
		UE_LOG(LogTether, Error, TEXT("Connect: %hs: %s"), tether_result_string(Result), *LastError);
		return false;
	}
	return Check(tether_client_connect(Client));
}

void UTetherSubsystem::Disconnect()
{
	if (Client != nullptr && FTetherModule::IsAvailable()) Check(tether_client_close(Client));
}

bool UTetherSubsystem::Send(const FString& Channel, const FString& Json)
{
	if (!RequireLibrary()) return false;
	const FTCHARToUTF8 ChannelText(*Channel);
	const FTCHARToUTF8 JsonText(*Json);
	return Check(tether_client_send(Client, ChannelText.Get(), JsonText.Get(), static_cast<size_t>(JsonText.Length()), 0,
		nullptr));
}

bool UTetherSubsystem::SendReliable(const FString& Channel, const FString& Json, int64& MessageId)
{
	MessageId = 0;
	if (!RequireLibrary()) return false;
	const FTCHARToUTF8 ChannelText(*Channel);
	const FTCHARToUTF8 JsonText(*Json);
	uint64_t Id = 0;
	const bool bOk = Check(tether_client_send(Client, ChannelText.Get(), JsonText.Get(),
		static_cast<size_t>(JsonText.Length()), TETHER_SEND_RELIABLE, &Id));
	MessageId = static_cast<int64>(Id);  // ids start at 1 and count up: never near the sign bit
	return bOk;
}

bool UTetherSubsystem::SendBytes(const FString& Channel, const TArray<uint8>& Data, bool bReliable, int64& MessageId)
{
	MessageId = 0;
	if (!RequireLibrary()) return false;
	const FTCHARToUTF8 ChannelText(*Channel);
	uint64_t Id = 0;
	const bool bOk = Check(tether_client_send_bytes(Client, ChannelText.Get(), Data.GetData(),  // NULL when empty: allowed
		static_cast<size_t>(Data.Num()), bReliable ? TETHER_SEND_RELIABLE : 0u, &Id));
	MessageId = static_cast<int64>(Id);
	return bOk;
}

bool UTetherSubsystem::Subscribe(const FString& Channel)
{
	if (!RequireLibrary()) return false;
	return Check(tether_client_subscribe(Client, TCHAR_TO_UTF8(*Channel)));
}

bool UTetherSubsystem::Unsubscribe(const FString& Channel)
{
	if (!RequireLibrary()) return false;
	return Check(tether_client_unsubscribe(Client, TCHAR_TO_UTF8(*Channel)));
}

bool UTetherSubsystem::SetToken(const FString& Token)
{
	if (!RequireLibrary()) return false;
	return Check(tether_client_set_token(Client, TCHAR_TO_UTF8(*Token)));
}

FTetherStats UTetherSubsystem::GetStats() const
{
	FTetherStats Stats;
	tether_stats Native = {};
	Native.struct_size = sizeof(Native);
	if (Client != nullptr && FTetherModule::IsAvailable() && tether_client_pool_stats(Client, &Native) == TETHER_OK)
	{
		Stats.MessagesSent = static_cast<int64>(Native.messages_sent);
		Stats.MessagesReceived = static_cast<int64>(Native.messages_received);
		Stats.PendingAcks = static_cast<int64>(Native.pending_acks);
		Stats.Queued = static_cast<int64>(Native.queued);
		Stats.Reconnects = static_cast<int64>(Native.reconnects);
		Stats.RttMs = static_cast<float>(Native.rtt_ms);
	}
	return Stats;
}

void UTetherSubsystem::Initialize(FSubsystemCollectionBase& Collection)
{
	Super::Initialize(Collection);
	ForegroundHandle = FCoreDelegates::ApplicationHasEnteredForegroundDelegate.AddUObject(this, &UTetherSubsystem::HandleAppResumed);
	ReactivatedHandle = FCoreDelegates::ApplicationHasReactivatedDelegate.AddUObject(this, &UTetherSubsystem::HandleAppResumed);
}

void UTetherSubsystem::Deinitialize()
{
	FCoreDelegates::ApplicationHasEnteredForegroundDelegate.Remove(ForegroundHandle);
	FCoreDelegates::ApplicationHasReactivatedDelegate.Remove(ReactivatedHandle);
	ForegroundHandle.Reset();
	ReactivatedHandle.Reset();
	DestroyClient();
	Super::Deinitialize();
}

void UTetherSubsystem::HandleAppResumed()
{
	// Some platforms broadcast these off the game thread, where Client may be
	// changing: only raise a flag, and let the next Tick act on it.
	bResumePending = true;
}

bool UTetherSubsystem::IsLibraryAvailable() const
{
	return FTetherModule::IsAvailable();
}

bool UTetherSubsystem::IsTickable() const
{
	return Client != nullptr && FTetherModule::IsAvailable();
}

void UTetherSubsystem::Tick(float DeltaTime)
{
	if (Client == nullptr || !FTetherModule::IsAvailable())
	{
		bResumePending = false;  // nothing to resume, and nothing may be called
		return;
	}
	if (bResumePending.exchange(false))
	{
		// The OS froze the process: skip any backoff wait now (a no-op while
		// the client still believes it is connected; the overdue heartbeat
		// then finds a dead link within heartbeat_timeout_ms).
		tether_client_reconnect_now(Client);
	}
	tether_client* Pumped = Client;
	// One call for the whole frame's events (an array the client owns until
	// the next pump), rather than one tether_client_event() call per event.
	const tether_event* Events = nullptr;
	const int32 Count = tether_client_pump_events(Pumped, &Events);
	// A delegate may call Disconnect or Connect, which frees the array: stop
	// once the client changes, before reading further.
	for (int32 Index = 0; Index < Count && Client == Pumped; ++Index)
	{
		Dispatch(Events[Index]);
	}
}

TStatId UTetherSubsystem::GetStatId() const
{
	RETURN_QUICK_DECLARE_CYCLE_STAT(UTetherSubsystem, STATGROUP_Tickables);
}

ETickableTickType UTetherSubsystem::GetTickableTickType() const
{
	// The class default object exists for reflection only and must never tick.
	return HasAnyFlags(RF_ClassDefaultObject) ? ETickableTickType::Never : ETickableTickType::Conditional;
}

bool UTetherSubsystem::RequireLibrary()
{
	if (FTetherModule::IsAvailable()) return true;
	LastError = FTetherModule::GetUnavailableReason();
	return false;
}

bool UTetherSubsystem::Check(int32 Result)
{
	if (Result == TETHER_OK) return true;
	LastError = FString::Printf(TEXT("%hs: %s"), tether_result_string(Result),
		UTF8_TO_TCHAR(tether_client_last_error(Client)));
	return false;
}

void UTetherSubsystem::DestroyClient()
{
	if (Client != nullptr)
	{
		if (FTetherModule::IsAvailable())
		{
			tether_client_destroy(Client);  // quick from any state
		}
		else
		{
			// Only if the module shut down before this subsystem: the library
			// may already be gone, so the handle is abandoned rather than
			// called into.
			UE_LOG(LogTether, Warning, TEXT("libtether is no longer available; the client is abandoned, not destroyed"));
		}
	}
	Client = nullptr;
	State = ETetherState::Idle;
	bResumePending = false;
}

void UTetherSubsystem::Dispatch(const tether_event& Event)
{
	switch (Event.type)
	{
	case TETHER_EVENT_STATE_CHANGED:
	{
		FTetherStateChange Change;
		Change.State = ToState(Event.state);
		Change.Connection = static_cast<int32>(Event.connection);
		Change.Attempt = static_cast<int32>(Event.attempt);
		Change.DelayMs = Event.delay_ms;
		Change.CloseCode = static_cast<int32>(Event.close_code);
		Change.Reason = FromUtf8(Event.reason, Event.reason_len);
		Change.bResumed = (Event.flags & TETHER_EVENT_FLAG_RESUMED) != 0;
		if (Event.connection == 0) State = Change.State;
		OnStateChanged.Broadcast(Change);
		break;
	}
	case TETHER_EVENT_MESSAGE:
	{
		FTetherMessage Message;
		Message.Channel = FromUtf8(Event.channel, Event.channel_len);
		Message.bBinary = (Event.flags & TETHER_EVENT_FLAG_BINARY) != 0;
		if (Message.bBinary)
		{
			Message.Bytes.Append(reinterpret_cast<const uint8*>(Event.data), static_cast<int32>(Event.data_len));
		}
		else
		{
			Message.Json = FromUtf8(Event.data, Event.data_len);
		}
		Message.bReliable = (Event.flags & TETHER_EVENT_FLAG_RELIABLE) != 0;
		Message.TimestampMs = Event.timestamp_ms;
		Message.Connection = static_cast<int32>(Event.connection);
		OnMessage.Broadcast(Message);
		break;
	}
	case TETHER_EVENT_ACK:
		OnAcked.Broadcast(static_cast<int64>(Event.message_id));
		break;
	case TETHER_EVENT_SEND_FAILED:
		OnSendFailed.Broadcast(static_cast<int64>(Event.message_id), ToOutcome(Event.outcome));
		break;
	case TETHER_EVENT_AUTH_OK:
	{
		FTetherAuthInfo Info;
		Info.UserId = FromUtf8(Event.user_id, Event.user_id_len);
		FromUtf8(Event.permissions, Event.permissions_len).ParseIntoArray(Info.Permissions, TEXT("\n"));
		Info.ExpiresAtMs = Event.expires_at_ms;
		Info.bResumed = (Event.flags & TETHER_EVENT_FLAG_RESUMED) != 0;
		OnAuthenticated.Broadcast(Info);
		break;
	}
	case TETHER_EVENT_AUTH_FAILED:
		OnAuthFailed.Broadcast(ToProblem(Event));
		break;
	case TETHER_EVENT_TOKEN_EXPIRING:
		OnTokenExpiring.Broadcast(ToProblem(Event));
		break;
	case TETHER_EVENT_PERMISSION_DENIED:
	{
		FTetherPermissionDenied Denied;
		Denied.Channel = FromUtf8(Event.channel, Event.channel_len);
		Denied.Action = FromUtf8(Event.action, Event.action_len);
		Denied.MessageId = static_cast<int64>(Event.message_id);
		Denied.Reason = FromUtf8(Event.reason, Event.reason_len);
		OnPermissionDenied.Broadcast(Denied);
		break;
	}
	case TETHER_EVENT_SUBSCRIBED:
		OnSubscribed.Broadcast(FromUtf8(Event.channel, Event.channel_len));
		break;
	case TETHER_EVENT_ERROR:
	case TETHER_EVENT_TRANSPORT_ERROR:
		OnError.Broadcast(ToProblem(Event));
		break;
	case TETHER_EVENT_LOG:
		UE_LOG(LogTether, Log, TEXT("%s"), *FromUtf8(Event.reason, Event.reason_len));
		break;
	default:
		break;  // TOKEN_REFRESHED, UNSUBSCRIBED: nothing for Blueprints to do
	}
}

#include "lobby_protocol.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>

namespace lobby {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_room(Writer& w, const Room& room) {
  w.StartObject();
  w.Key("id");
  w.Uint(room.id);
  w.Key("name");
  w.String(room.name.c_str());
  w.Key("capacity");
  w.Uint(room.capacity);
  w.Key("host");
  w.String(room.host.c_str());
  w.Key("members");
  w.StartArray();
  for (const std::string& m : room.members) w.String(m.c_str());
  w.EndArray();
  w.Key("ready");
  w.StartArray();
  for (const auto& entry : room.ready) {
    if (entry.second) w.String(entry.first.c_str());
  }
  w.EndArray();
  w.Key("started");
  w.Bool(room.started);
  w.EndObject();
}

bool parse_op(const std::string& text, Op& op) {
  static const std::pair<const char*, Op> kOps[] = {
      {"list", Op::List},   {"create", Op::Create},   {"join", Op::Join},   {"leave", Op::Leave},
      {"ready", Op::Ready}, {"unready", Op::Unready}, {"start", Op::Start},
  };
  for (const auto& entry : kOps) {
    if (text == entry.first) {
      op = entry.second;
      return true;
    }
  }
  return false;
}

}  // namespace

const char* op_name(Op op) {
  switch (op) {
    case Op::List: return "list";
    case Op::Create: return "create";
    case Op::Join: return "join";
    case Op::Leave: return "leave";
    case Op::Ready: return "ready";
    case Op::Unready: return "unready";
    case Op::Start: return "start";
    case Op::Kick: return "kick";
  }
  return "unknown";
}

bool parse_request(std::string_view channel, std::string_view json, Request& out, std::string& error) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    error = "a request is a JSON object";
    return false;
  }
  if (doc.HasMember("req")) {
    if (!doc["req"].IsInt64()) {
      error = "\"req\" must be an integer";
      return false;
    }
    out.req = doc["req"].GetInt64();
  }
  if (channel == kKickChannel) {
    out.op = Op::Kick;
    if (!doc.HasMember("target") || !doc["target"].IsString()) {
      error = "kick needs \"target\" (a user id)";
      return false;
    }
    out.target = doc["target"].GetString();
    return true;
  }
  if (!doc.HasMember("op") || !doc["op"].IsString() || !parse_op(doc["op"].GetString(), out.op)) {
    error = "\"op\" must be one of list, create, join, leave, ready, unready, start";
    return false;
  }
  if (out.op == Op::Create) {
    if (!doc.HasMember("name") || !doc["name"].IsString() || !doc.HasMember("capacity") || !doc["capacity"].IsUint()) {
      error = "create needs \"name\" (string) and \"capacity\" (integer)";
      return false;
    }
    out.name = doc["name"].GetString();
    out.capacity = doc["capacity"].GetUint();
  } else if (out.op == Op::Join) {
    if (doc.HasMember("room") && doc["room"].IsUint()) {
      out.room = doc["room"].GetUint();
    } else if (doc.HasMember("name") && doc["name"].IsString()) {
      out.name = doc["name"].GetString();
    } else {
      error = "join needs \"room\" (a room id) or \"name\" (a room name)";
      return false;
    }
  }
  return true;
}

std::string room_channel(uint32_t room_id) { return "room:" + std::to_string(room_id); }

uint32_t parse_room_channel(std::string_view channel) {
  constexpr std::string_view kPrefix = "room:";
  if (channel.substr(0, kPrefix.size()) != kPrefix || channel.size() == kPrefix.size()) return 0;
  uint32_t id = 0;
  for (const char c : channel.substr(kPrefix.size())) {
    if (c < '0' || c > '9' || id > 100000000) return 0;
    id = id * 10 + static_cast<uint32_t>(c - '0');
  }
  return id;
}

std::string reply_ok(const Request& request, const Lobby& lobby, const std::string& user) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("req");
  w.Int64(request.req);
  w.Key("op");
  w.String(op_name(request.op));
  w.Key("ok");
  w.Bool(true);
  if (request.op == Op::List) {
    w.Key("rooms");
    w.StartArray();
    for (const auto& entry : lobby.rooms()) write_room(w, entry.second);
    w.EndArray();
  } else if (const Room* room = lobby.room_of(user)) {
    w.Key("room");
    write_room(w, *room);
  }
  w.EndObject();
  return buffer.GetString();
}

std::string reply_error(const Request& request, const std::string& code, const std::string& message) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("req");
  w.Int64(request.req);
  w.Key("op");
  w.String(op_name(request.op));
  w.Key("ok");
  w.Bool(false);
  w.Key("error");
  w.String(code.c_str());
  w.Key("message");
  w.String(message.c_str());
  w.EndObject();
  return buffer.GetString();
}

std::string room_event_json(const RoomEvent& event, const Lobby& lobby) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("event");
  w.String(room_event_name(event.kind));
  w.Key("user");
  w.String(event.user.c_str());
  if (const Room* room = lobby.room(event.room)) {
    w.Key("room");
    write_room(w, *room);
  }
  w.EndObject();
  return buffer.GetString();
}

bool relay_chat(std::string_view json, const std::string& from, std::string& out) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("chat") || !doc["chat"].IsString()) return false;
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("from");
  w.String(from.c_str());
  w.Key("chat");
  w.String(doc["chat"].GetString(), doc["chat"].GetStringLength());
  if (doc.HasMember("n") && doc["n"].IsInt64()) {
    w.Key("n");
    w.Int64(doc["n"].GetInt64());
  }
  w.EndObject();
  out = buffer.GetString();
  return true;
}

}  // namespace lobby
